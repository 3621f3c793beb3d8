"""Random graphs for the property tests: nodes carry their own id in every node field, edges carry their
endpoints' ids, so misaligned fields are detectable after an augmentation."""
from __future__ import annotations

import torch
from hypothesis import strategies as st
from torch_geometric.data import Batch, Data


@st.composite
def graphs(draw, max_nodes: int = 12, min_nodes: int = 1, id_offset: int = 0) -> Data:
    n = draw(st.integers(min_nodes, max_nodes))
    undirected = draw(st.booleans())
    max_edges = 0 if n < 2 else min(n * (n - 1) // 2, 20)
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=max_edges))
    pairs = sorted({(u, v) for u, v in pairs if u != v})
    if undirected:
        pairs = sorted({(min(u, v), max(u, v)) for u, v in pairs})
        pairs = pairs + [(v, u) for u, v in pairs]
    edge_index = torch.tensor(pairs, dtype=torch.long).t().reshape(2, -1)
    ids = torch.arange(n, dtype=torch.float) + id_offset
    # a second feature drawn by hypothesis (reproducible, shrinkable); never zero, so that a row set to
    # zero by masking is always a visible change
    values = draw(st.lists(st.floats(0.5, 3.0, width=32), min_size=n, max_size=n))
    signs = draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=n, max_size=n))
    x = torch.stack([ids, torch.tensor(values) * torch.tensor(signs)], 1)
    edge_attr = torch.stack([ids[edge_index[0]], ids[edge_index[1]]], 1) if edge_index.numel() else \
        torch.zeros(0, 2)
    return Data(x=x, pos=ids.view(-1, 1).repeat(1, 2), node_label=ids.long(), edge_index=edge_index,
                edge_attr=edge_attr, edge_weight=edge_attr[:, 0] + 0.5, y=torch.tensor([[float(n), 1.0]]),
                name=f"g{n}")


@st.composite
def batches(draw, max_graphs: int = 5, max_nodes: int = 12) -> Batch:
    count = draw(st.integers(1, max_graphs))
    data_list, offset = [], 0
    for _ in range(count):
        graph = draw(graphs(max_nodes=max_nodes, id_offset=offset))
        offset += graph.num_nodes
        data_list.append(graph)
    return Batch.from_data_list(data_list)


def snapshot(data: Data) -> dict:
    return {key: value.clone() if isinstance(value, torch.Tensor) else value for key, value in data.items()}


def same_fields(data: Data, saved: dict) -> bool:
    if set(data.keys()) != set(saved):
        return False
    for key, value in saved.items():
        current = data[key]
        if isinstance(value, torch.Tensor):
            if not (current.shape == value.shape and torch.equal(current, value)):
                return False
        elif current != value:
            return False
    return True
