"""Edge perturbation (GraphCL, You et al., NeurIPS 2020, https://arxiv.org/abs/2010.13902)."""
from __future__ import annotations

import numbers

import torch
from torch import Tensor
from torch_geometric.data import Data

from graphcl.augment._graph import (check_graph_mask, check_ratio, edge_keys, has_edges, is_sorted, layout, new_like,
                                   rand, set_edges)
from graphcl.augment.base import Augmentation
from graphcl.augment.edge_drop import choose_dropped_edges


def _random_below(upper: Tensor, generator: torch.Generator | None) -> Tensor:
    """A uniform integer in ``[0, upper)`` for every entry of ``upper`` (all entries > 0)."""
    draw = rand(upper.numel(), generator, upper.device).double()
    return torch.minimum((draw * upper.double()).long(), upper - 1)


def perturb_edges(data: Data, p: float = 0.2, generator: torch.Generator | None = None,
                  fill_value: float | Tensor | None = None, graph_mask: Tensor | None = None) -> Data:
    r"""Drop a random share ``p`` of every graph's edges and add as many random new edges.

    Per graph with :math:`n` nodes and :math:`m` edges, :math:`k = \mathrm{round}(p\,m)` edges are removed
    and :math:`k` edges between two distinct random nodes of the same graph are added (none in a one-node
    graph). Added edges are drawn with replacement, so they may repeat an existing edge. An undirected
    graph (every edge stored in both directions) is perturbed in unordered pairs and stays undirected.

    Edge-level fields of an added edge (``edge_attr``, edge weights) are copied from a random existing edge
    of the same graph, so categorical bond features stay valid; with ``fill_value`` they are set to that
    value instead. A graph without edges never receives edges (:math:`k = 0`).

    Args:
        data (Data or Batch): input graph(s); not modified.
        p (float, optional): share of edges to replace, in :math:`[0, 1]`. (default: :obj:`0.2`)
        generator (torch.Generator, optional): source of randomness. (default: :obj:`None`)
        fill_value (float or Tensor, optional): value for the edge-level fields of added edges, broadcast
            to the trailing shape of each field. (default: :obj:`None`, copy a random edge's fields)
        graph_mask (Tensor, optional): boolean ``[B]``, the graphs to augment; the others come back
            unchanged. (default: :obj:`None`, all graphs)

    Returns:
        A new object of the same type with the same nodes and (per graph) as many edges as before, or fewer
        in a graph where no edge can be added.
    """
    p = check_ratio(p)
    if fill_value is not None and not isinstance(fill_value, (numbers.Real, Tensor)):
        raise TypeError(f"fill_value must be a number or a tensor, got {type(fill_value).__name__}")
    info = layout(data)
    graph_mask = check_graph_mask(graph_mask, info)
    if not has_edges(data) or info.num_edges == 0:
        return new_like(data)
    edge_index = data.edge_index
    device = edge_index.device
    ekeys = edge_keys(data)
    edge_keep, num_drop, undirected = choose_dropped_edges(data, info, p, generator, graph_mask)
    num_add = torch.where(info.node_counts >= 2, num_drop, torch.zeros_like(num_drop))
    add_graph = torch.repeat_interleave(torch.arange(info.num_graphs, device=device), num_add)
    n = info.node_counts[add_graph]
    src = _random_below(n, generator) if add_graph.numel() else add_graph
    dst = _random_below((n - 1).clamp(min=1), generator) if add_graph.numel() else add_graph
    dst = dst + (dst >= src).long()
    offset = info.node_offsets[add_graph]
    src, dst = src + offset, dst + offset

    if undirected:
        # Each added pair as two consecutive directed edges, so new edges stay grouped by graph.
        new_edges = torch.stack([torch.stack([src, dst], 1).flatten(), torch.stack([dst, src], 1).flatten()])
        new_graph = add_graph.repeat_interleave(2)
    else:
        new_edges = torch.stack([src, dst])
        new_graph = add_graph

    fields: dict[str, tuple[Tensor, Tensor]] = {}
    if ekeys:
        if fill_value is None:
            if is_sorted(info.edge_graph):
                by_graph = None
            else:
                by_graph = torch.argsort(info.edge_graph, stable=True)
            starts = torch.cumsum(info.edge_counts, 0) - info.edge_counts
            source = starts[add_graph] + _random_below(info.edge_counts[add_graph].clamp(min=1), generator) \
                if add_graph.numel() else add_graph
            if by_graph is not None:
                source = by_graph[source]
        for key in ekeys:
            value = data[key]
            if fill_value is None:
                added = value[source]
            else:
                added = torch.as_tensor(fill_value, dtype=value.dtype, device=value.device)
                added = added.expand(add_graph.numel(), *value.shape[1:])
            if undirected:
                added = added.repeat_interleave(2, dim=0)
            fields[key] = (value[edge_keep], added)
    return set_edges(data, info, edge_keep, new_edges, new_graph, fields)


class PerturbEdges(Augmentation):
    r"""Transform form of :func:`perturb_edges`.

    Args:
        p (float, optional): share of edges to replace per graph. (default: :obj:`0.2`)
        generator (torch.Generator, optional): source of randomness. (default: :obj:`None`)
        fill_value (float or Tensor, optional): edge-field value of added edges. (default: :obj:`None`)
    """

    def __init__(self, p: float = 0.2, generator: torch.Generator | None = None,
                 fill_value: float | Tensor | None = None) -> None:
        super().__init__(p, generator)
        self.fill_value = fill_value

    def forward(self, data: Data) -> Data:
        return perturb_edges(data, self.p, generator=self.generator, fill_value=self.fill_value)

    def _forward_graphs(self, data: Data, graph_mask: Tensor) -> Data:
        return perturb_edges(data, self.p, generator=self.generator, fill_value=self.fill_value,
                             graph_mask=graph_mask)

    def _extra_repr(self) -> str:
        return "" if self.fill_value is None else f"fill_value={self.fill_value}"
