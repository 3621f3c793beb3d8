"""The per-graph augmentation of graphcl before it was vectorized (``augment_per_graph`` in
graphcl/methods/graphcl_graph.py up to the per-graph random choice), kept for the before/after measurements of
``benchmarks/graphcl_step_profile.py`` and ``benchmarks/augment_throughput.py`` only: it unbatches with
``Batch.to_data_list``, rebatches the graphs that drew each augmentation with ``Batch.from_data_list``,
augments each group and merges the groups back into graph order (the merged batch cannot be separated)."""
from __future__ import annotations

from typing import Callable, Optional, Sequence

import torch
from torch import Tensor
from torch_geometric.data import Batch, Data


def loop_augment_per_graph(data: Data, transforms: Sequence[Callable[[Data], Data]],
                           generator: Optional[torch.Generator] = None) -> Data:
    """Unbatch, rebatch the graphs that drew each transform, augment each group, merge in graph order."""
    if len(transforms) == 1:
        return transforms[0](data)
    if not isinstance(data, Batch):
        index = int(torch.randint(len(transforms), (1,), generator=generator))
        return transforms[index](data)
    choice = torch.randint(len(transforms), (data.num_graphs,), generator=generator)
    graphs = data.to_data_list()
    parts, owners = [], []
    for index, transform in enumerate(transforms):
        members = (choice == index).nonzero().view(-1)
        if members.numel() == 0:
            continue
        parts.append(transform(Batch.from_data_list([graphs[i] for i in members.tolist()])))
        owners.append(members.to(data.batch.device))
    if len(parts) == 1:
        return parts[0]
    return _merge_in_order(data, parts, owners)


def _merge_in_order(data: Batch, parts: Sequence[Batch], owners: Sequence[Tensor]) -> Batch:
    node_graph = torch.cat([owner[part.batch] for part, owner in zip(parts, owners)])
    node_offsets = torch.tensor([0] + [part.num_nodes for part in parts[:-1]]).cumsum(0).tolist()
    edge_index = torch.cat([part.edge_index + offset for part, offset in zip(parts, node_offsets)], dim=1)
    node_order = torch.sort(node_graph, stable=True).indices
    new_position = torch.empty_like(node_order)
    new_position[node_order] = torch.arange(node_order.numel(), device=node_order.device)
    edge_index = new_position[edge_index]
    edge_order = torch.sort(node_graph[node_order][edge_index[0]], stable=True).indices
    out = Batch()
    node_keys = [key for key in parts[0].keys() if key not in ("batch", "ptr", "edge_index")
                 and isinstance(parts[0][key], Tensor) and parts[0].is_node_attr(key)]
    edge_keys = [key for key in parts[0].keys() if key not in ("batch", "ptr", "edge_index")
                 and isinstance(parts[0][key], Tensor) and parts[0].is_edge_attr(key)]
    for key in node_keys:
        out[key] = torch.cat([part[key] for part in parts])[node_order]
    for key in edge_keys:
        out[key] = torch.cat([part[key] for part in parts])[edge_order]
    out.edge_index = edge_index[:, edge_order]
    out.batch = node_graph[node_order]
    counts = torch.bincount(out.batch, minlength=data.num_graphs)
    out.ptr = torch.cat([counts.new_zeros(1), counts.cumsum(0)])
    for key in data.keys():
        value = data[key]
        if key not in ("batch", "ptr") and key not in out and isinstance(value, Tensor) and value.dim() > 0 \
                and value.size(0) == data.num_graphs and not data.is_node_attr(key) and not data.is_edge_attr(key):
            out[key] = value
    return out
