"""PyG's in-memory storage layout, which graphcl/data/_storage.py reads and rewrites."""
import pytest
import torch
from torch_geometric.data import Data, InMemoryDataset

from graphcl.data._storage import node_offsets, replace_node_attribute, stored_graphs


class Graphs(InMemoryDataset):
    def __init__(self, graphs):
        super().__init__(None)
        self.data, self.slices = self.collate(graphs)


def graphs(with_x=True):
    sizes = [3, 1, 4, 2]
    out = []
    for i, n in enumerate(sizes):
        edge_index = torch.tensor([[0, n - 1], [n - 1, 0]]) if n > 1 else torch.empty(2, 0, dtype=torch.long)
        graph = Data(edge_index=edge_index, num_nodes=n)
        if with_x:
            graph.x = torch.full((n, 2), float(i))
        out.append(graph)
    return out


@pytest.mark.parametrize("with_x", [True, False])
def test_node_offsets_match_the_graph_sizes(with_x):
    dataset = Graphs(graphs(with_x))
    expected = [0]
    for graph in graphs(with_x):
        expected.append(expected[-1] + graph.num_nodes)
    assert node_offsets(dataset).tolist() == expected
    storage, slices = stored_graphs(dataset)
    assert storage.edge_index.size(1) == sum(g.edge_index.size(1) for g in graphs(with_x))
    assert slices["edge_index"].tolist() == [0, 2, 2, 4, 6]


def test_replace_node_attribute_reaches_every_graph_and_drops_cached_graphs():
    dataset = Graphs(graphs())
    assert dataset[2].x[0, 0] == 2.0  # separated once, so PyG may cache it
    _ = list(dataset)
    offsets = node_offsets(dataset)
    new = torch.arange(int(offsets[-1]), dtype=torch.float).view(-1, 1) * 10
    replace_node_attribute(dataset, "x", new, offsets)
    start = 0
    for graph in dataset:  # each graph gets its own rows, in order
        n = graph.num_nodes
        assert graph.x.view(-1).tolist() == [10.0 * (start + k) for k in range(n)]
        start += n
    with pytest.raises(ValueError, match="rows"):
        replace_node_attribute(dataset, "x", new[:-1], offsets)
