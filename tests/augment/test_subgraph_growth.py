"""The two implementations of subgraph growth (NumPy rounds on CPU, torch rounds elsewhere) run the same
process on the same draws, so with equal generators they must agree exactly."""
from __future__ import annotations

import pytest
import torch
from torch_geometric.data import Batch, Data

from graphcl.augment import subgraph as subgraph_module
from graphcl.augment._graph import layout


def batch_of_components(seed: int) -> Batch:
    """Graphs made of several paths and cycles (so restarts happen), some edgeless, directed and not."""
    generator = torch.Generator().manual_seed(seed)
    graphs = []
    for index in range(30):
        pieces, edges, n = int(torch.randint(1, 4, (1,), generator=generator)), [], 0
        for _ in range(pieces):
            size = int(torch.randint(1, 8, (1,), generator=generator))
            edges += [(n + i, n + i + 1) for i in range(size - 1)]
            if size > 2 and index % 2:
                edges.append((n + size - 1, n))
            n += size
        if index % 3:
            edges += [(v, u) for u, v in edges]
        edge_index = torch.tensor(edges, dtype=torch.long).t().reshape(2, -1)
        graphs.append(Data(x=torch.zeros(n, 1), edge_index=edge_index))
    return Batch.from_data_list(graphs)


@pytest.mark.parametrize("restart", [True, False])
@pytest.mark.parametrize("seed", [0, 1])
def test_numpy_and_torch_growth_agree(seed, restart):
    batch = batch_of_components(seed)
    info = layout(batch)
    mask = torch.rand(info.num_graphs, generator=torch.Generator().manual_seed(seed)) < 0.7
    seeds = torch.zeros(info.num_nodes, dtype=torch.bool)
    seeds[info.node_offsets] = True
    target = (info.node_counts * 0.8).ceil().long()
    active = (target > 1) & mask
    fast = subgraph_module._grow_numpy(info, batch.edge_index, seeds, target, active, 0.3, restart,
                                       torch.Generator().manual_seed(5))
    listed = subgraph_module._grow_listed(info, subgraph_module._Neighbours(batch.edge_index, info.num_nodes), seeds,
                                          target, active, 0.3, restart, torch.Generator().manual_seed(5))
    for a, b in zip(fast, listed):
        assert torch.equal(a, b)
    inside, _, size = fast
    assert bool((size[active] >= target[active]).all()) if restart else True
    assert torch.equal(torch.bincount(info.node_graph[inside], minlength=info.num_graphs), size)
    assert bool((size[~active] == 1).all())  # graphs that do not grow keep only their seed


def test_last_round_surplus_is_dropped_uniformly():
    """Star with centre 0 and leaves 1-4, keep 3 of 5 nodes, breadth-first growth (r = 1). By hand: every
    pair of leaves is kept with the centre with probability 1/6 (seed at the centre: 1/5 * 1/6; seed at one
    of the two leaves: 2 * 1/5 * 1/3)."""
    star = Data(x=torch.arange(5.0).view(-1, 1),
                edge_index=torch.tensor([[0, 0, 0, 0, 1, 2, 3, 4], [1, 2, 3, 4, 0, 0, 0, 0]]))
    batch = Batch.from_data_list([star] * 900)
    out = subgraph_module.sample_subgraph(batch, 0.4, generator=torch.Generator().manual_seed(0), expansion_rate=1.0)
    kept = out.x.view(-1, 3).long().tolist()
    assert all(row[0] == 0 for row in kept)
    counts = {}
    for row in kept:
        counts[tuple(row[1:])] = counts.get(tuple(row[1:]), 0) + 1
    assert len(counts) == 6
    assert all(abs(count / len(kept) - 1 / 6) < 0.045 for count in counts.values())  # ~3.6 standard deviations
