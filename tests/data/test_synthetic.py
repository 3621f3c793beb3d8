import pytest
import torch

from graphcl.data import sbm_graph, sbm_graph_dataset


def test_sbm_graph_seeded_masks_and_structure():
    data = sbm_graph(num_nodes=90, num_classes=3, seed=1)
    again = sbm_graph(num_nodes=90, num_classes=3, generator=torch.Generator().manual_seed(1))
    assert torch.equal(data.edge_index, again.edge_index) and torch.equal(data.x, again.x)
    assert not torch.equal(data.x, sbm_graph(num_nodes=90, num_classes=3, seed=2).x)

    assert data.is_undirected() and not data.has_self_loops()
    masks = torch.stack([data.train_mask, data.val_mask, data.test_mask]).long()
    assert bool((masks.sum(0) == 1).all())
    assert torch.bincount(data.y[data.train_mask]).tolist() == [10, 10, 10]

    row, col = data.edge_index
    within = (data.y[row] == data.y[col]).float().mean()
    assert within > 0.6  # p_in = 0.15 vs p_out = 0.02 with 3 equal blocks
    means = torch.stack([data.x[data.y == c].mean(0) for c in range(3)])
    assert torch.cdist(means, means).max() > 1.0


def test_sbm_graph_dataset_labels_and_determinism():
    dataset = sbm_graph_dataset(num_graphs=30, num_classes=3, seed=0)
    assert len(dataset) == 30 and dataset.num_classes == 3
    assert torch.bincount(dataset._data.y).tolist() == [10, 10, 10]
    other = sbm_graph_dataset(num_graphs=30, num_classes=3, seed=0)
    assert torch.equal(dataset._data.x, other._data.x)
    graph = dataset[4]
    assert graph.edge_index.max() < graph.num_nodes and graph.is_undirected()


def test_synthetic_bad_input():
    with pytest.raises(ValueError, match="p_in"):
        sbm_graph(p_in=1.5)
    with pytest.raises(ValueError, match="exceeds"):
        sbm_graph(num_nodes=20, train_per_class=10, num_val=5)
    with pytest.raises(ValueError, match="min_nodes"):
        sbm_graph_dataset(min_nodes=5, max_nodes=3)
