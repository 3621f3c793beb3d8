"""The pure-PyTorch neighbour sampler against loop references, and its use through PyG's NodeLoader."""
import pytest
import torch
from torch_geometric.data import Data

from graphcl.data.neighbor_sampler import (TorchNeighborSampler, check_num_neighbors, neighbor_loader,
                                           sample_positions)


def random_graph(num_nodes=40, num_edges=200, seed=0):
    generator = torch.Generator().manual_seed(seed)
    edge_index = torch.randint(0, num_nodes, (2, num_edges), generator=generator)
    x = torch.randn(num_nodes, 3, generator=generator)
    return Data(x=x, edge_index=edge_index, num_nodes=num_nodes)


def in_neighbour_edges(edge_index, node):
    """Edge ids into ``node``, by a plain loop."""
    return [e for e in range(edge_index.size(1)) if int(edge_index[1, e]) == node]


def test_each_node_keeps_min_degree_k_distinct_in_edges():
    data = random_graph()
    sampler = TorchNeighborSampler(data, [3], generator=torch.Generator().manual_seed(1))
    seeds = torch.tensor([0, 5, 7, 11, 39])
    out = sampler.sample(seeds)
    assert out.node[:5].tolist() == seeds.tolist()
    assert len(set(out.node.tolist())) == out.node.numel()
    for local, node in enumerate(seeds.tolist()):
        chosen = out.edge[out.col == local].tolist()
        reference = in_neighbour_edges(data.edge_index, node)
        assert len(chosen) == len(set(chosen)) == min(3, len(reference))
        assert set(chosen) <= set(reference)
        # the subgraph edge points from the sampled neighbour to the seed, in local ids
        for e, row in zip(out.edge[out.col == local].tolist(), out.row[out.col == local].tolist()):
            assert int(out.node[row]) == int(data.edge_index[0, e])


def test_all_neighbours_over_two_hops_match_a_breadth_first_loop():
    data = random_graph(num_nodes=30, num_edges=60, seed=3)
    out = TorchNeighborSampler(data, [-1, -1]).sample(torch.tensor([4, 9]))
    # reference: hop 1 takes every edge into the seeds, hop 2 every edge into the nodes hop 1 added
    seen, frontier, edges = [4, 9], [4, 9], set()
    for _ in range(2):
        added = []
        for node in frontier:
            for e in in_neighbour_edges(data.edge_index, node):
                edges.add(e)
                source = int(data.edge_index[0, e])
                if source not in seen and source not in added:
                    added.append(source)
        seen += added
        frontier = added
    assert set(out.edge.tolist()) == edges and out.edge.numel() == len(edges)
    assert set(out.node.tolist()) == set(seen)
    assert out.num_sampled_nodes[0] == 2 and sum(out.num_sampled_nodes) == out.node.numel()


def test_floyd_draws_are_uniform_without_replacement():
    generator = torch.Generator().manual_seed(0)
    trials = 4000
    start = torch.zeros(trials, dtype=torch.long)
    degree = torch.full((trials,), 5)
    positions, owner = sample_positions(start, degree, 2, generator)
    chosen = positions.view(trials, 2)
    assert bool((chosen[:, 0] != chosen[:, 1]).all())
    frequency = torch.bincount(positions, minlength=5).double() / trials
    assert torch.allclose(frequency, torch.full((5,), 2 / 5, dtype=torch.float64), atol=0.03)
    pairs = {tuple(sorted(pair)) for pair in chosen.tolist()}
    assert len(pairs) == 10  # every 2-subset of 5 occurs
    assert owner.view(trials, 2)[:, 0].tolist() == list(range(trials))


def test_node_loader_yields_every_seed_once_with_its_features():
    data = random_graph()
    data.y = torch.arange(data.num_nodes)
    loader = neighbor_loader(data, [2, 2], batch_size=8, generator=torch.Generator().manual_seed(0),
                             backend="torch")
    seeds = []
    for batch in loader:
        assert torch.equal(batch.x, data.x[batch.n_id]) and torch.equal(batch.y, batch.n_id)
        seeds += batch.n_id[:batch.batch_size].tolist()
        assert batch.edge_index.max() < batch.num_nodes
    assert sorted(seeds) == list(range(data.num_nodes))


def test_bad_num_neighbors():
    for bad in ([], [0], [-2], 3):
        with pytest.raises(ValueError):
            check_num_neighbors(bad)
