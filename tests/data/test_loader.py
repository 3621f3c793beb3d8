"""InMemoryGraphLoader against PyG's DataLoader (Batch.from_data_list of the separated graphs)."""
from __future__ import annotations

import pytest
import torch
from torch.utils.data import Subset
from torch_geometric.data import Batch, Data, InMemoryDataset
from torch_geometric.loader import DataLoader
from torch_geometric.transforms import AddSelfLoops

from graphcl.data import load_tu
from graphcl.data.loader import InMemoryCollater, InMemoryGraphLoader, graph_loader, supports_vectorized_collation


class _Graphs(InMemoryDataset):
    def __init__(self, data_list, transform=None):
        super().__init__(None, transform=transform)
        self.data, self.slices = self.collate(data_list)


def _random_graphs(count: int, seed: int, with_x: bool = True) -> list[Data]:
    g = torch.Generator().manual_seed(seed)
    graphs = []
    for i in range(count):
        n = int(torch.randint(1, 9, (1,), generator=g))
        m = int(torch.randint(0, 2 * n + 1, (1,), generator=g))
        edge_index = torch.randint(0, n, (2, m), generator=g)
        attrs = dict(edge_index=edge_index, edge_attr=torch.randn(m, 3, generator=g),
                     y=torch.randn(1, 4, generator=g), label=torch.tensor([i % 3]))
        if with_x:
            attrs.update(x=torch.randn(n, 5, generator=g), z=torch.randint(0, 10, (n,), generator=g))
        else:
            attrs.update(num_nodes=n)
        graphs.append(Data(**attrs))
    return graphs


def _assert_same_batch(expected: Batch, actual: Batch) -> None:
    assert type(actual) is type(expected)
    assert set(actual.keys()) == set(expected.keys())
    for key in expected.keys():
        if isinstance(expected[key], torch.Tensor):
            assert actual[key].dtype == expected[key].dtype, key
            assert torch.equal(actual[key], expected[key]), key
        else:
            assert actual[key] == expected[key], key
    assert actual.num_graphs == expected.num_graphs
    assert actual.num_nodes == expected.num_nodes
    for graph, reference in zip(actual.to_data_list(), expected.to_data_list(), strict=True):
        assert set(graph.keys()) == set(reference.keys())
        for key in reference.keys():
            value = reference[key]
            assert torch.equal(graph[key], value) if isinstance(value, torch.Tensor) else graph[key] == value, key


def _compare_loaders(dataset, epochs: int = 2, **kwargs) -> int:
    reference = DataLoader(dataset, generator=torch.Generator().manual_seed(3), **kwargs)
    fast = InMemoryGraphLoader(dataset, generator=torch.Generator().manual_seed(3), **kwargs)
    assert len(fast) == len(reference)
    batches = 0
    for _ in range(epochs):
        for expected, actual in zip(reference, fast, strict=True):
            _assert_same_batch(expected, actual)
            batches += 1
    return batches


def test_mutag_batches_equal_pyg(data_root):
    dataset = load_tu("MUTAG")
    assert "edge_attr" in dataset._data.keys()
    assert _compare_loaders(dataset, batch_size=32, shuffle=True) == 2 * 6


def test_nci1_batches_equal_pyg(data_root):
    dataset = load_tu("NCI1")[:700]  # a PyG view of the first 700 graphs
    assert _compare_loaders(dataset, epochs=1, batch_size=128, shuffle=True) == 6


@pytest.mark.parametrize("view", ["all", "shuffle", "index_select", "subset", "subset_of_view"])
def test_views_edge_attr_and_graph_labels(view):
    dataset = _Graphs(_random_graphs(23, seed=1))
    order = torch.randperm(23, generator=torch.Generator().manual_seed(0))
    if view == "shuffle":
        dataset = dataset.shuffle()
    elif view == "index_select":
        dataset = dataset.index_select(order[:17])
    elif view == "subset":
        dataset = Subset(dataset, order[:15].tolist())
    elif view == "subset_of_view":
        dataset = Subset(dataset.index_select(order[:19]), [4, 0, 7, 7, 12, 3, 18])
    assert supports_vectorized_collation(dataset)
    _compare_loaders(dataset, batch_size=4, shuffle=True)
    _compare_loaders(dataset, batch_size=5, shuffle=False, drop_last=True)


def test_graphs_without_node_tensors():
    dataset = _Graphs(_random_graphs(11, seed=2, with_x=False))
    _compare_loaders(dataset, batch_size=3, shuffle=True)


def test_hand_computed_batch():
    graphs = [Data(x=torch.tensor([[1.0], [2.0]]), edge_index=torch.tensor([[0], [1]]), y=torch.tensor([0])),
              Data(x=torch.tensor([[3.0]]), edge_index=torch.empty(2, 0, dtype=torch.long), y=torch.tensor([1])),
              Data(x=torch.tensor([[4.0], [5.0], [6.0]]), edge_index=torch.tensor([[0, 2], [2, 1]]),
                   y=torch.tensor([2]))]
    batch = InMemoryCollater(_Graphs(graphs))([2, 0])
    assert batch.x.view(-1).tolist() == [4.0, 5.0, 6.0, 1.0, 2.0]
    assert batch.edge_index.tolist() == [[0, 2, 3], [2, 1, 4]]
    assert batch.y.tolist() == [2, 0]
    assert batch.batch.tolist() == [0, 0, 0, 1, 1]
    assert batch.ptr.tolist() == [0, 3, 5]
    assert batch.to_data_list()[1].edge_index.tolist() == [[0], [1]]


def test_fallback_rule():
    graphs = _random_graphs(6, seed=3)
    with_transform = _Graphs(graphs, transform=AddSelfLoops())
    assert not supports_vectorized_collation(with_transform)
    assert not supports_vectorized_collation(graphs)  # a plain list
    with pytest.raises(ValueError, match="transform"):
        InMemoryCollater(with_transform)
    assert type(graph_loader(with_transform, batch_size=2)) is DataLoader
    assert type(graph_loader(graphs, batch_size=2)) is DataLoader
    assert isinstance(graph_loader(_Graphs(graphs), batch_size=2), InMemoryGraphLoader)
    with pytest.raises(ValueError, match="follow_batch"):
        InMemoryGraphLoader(_Graphs(graphs), follow_batch=["x"])
