"""Property tests of the graph augmentations on random graphs and batches."""
from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_geometric.data import Batch, Data

from graphcl.augment import (drop_edges, drop_nodes, identity, mask_attributes, perturb_edges, sample_subgraph,
                             shuffle_node_features)

from .strategies import batches, graphs, same_fields, snapshot

FAST = settings(max_examples=25, deadline=None)
ratios = st.sampled_from([0.0, 0.1, 0.2, 0.35, 0.5, 0.8, 1.0])


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def as_batch(data: Data) -> Batch:
    return data if isinstance(data, Batch) else Batch.from_data_list([data])


def check_structure(out: Data, original: Data) -> None:
    """Fields aligned, edges valid, batch bookkeeping consistent, graph-level fields untouched."""
    assert type(out) is type(original)
    n = out.num_nodes
    assert out.x.size(0) == out.pos.size(0) == out.node_label.size(0) == n
    # Node fields stay aligned: every node field carries the same original node id.
    assert torch.equal(out.x[:, 0], out.pos[:, 0]) and torch.equal(out.x[:, 0].long(), out.node_label)
    ei = out.edge_index
    assert ei.size(0) == 2 and out.edge_attr.size(0) == ei.size(1) == out.edge_weight.size(0)
    if ei.numel():
        assert int(ei.min()) >= 0 and int(ei.max()) < n
    if isinstance(original, Batch):
        assert out.num_graphs == original.num_graphs
        counts = out.ptr[1:] - out.ptr[:-1]
        assert torch.equal(out.batch, torch.repeat_interleave(torch.arange(out.num_graphs), counts))
        if ei.numel():
            assert torch.equal(out.batch[ei[0]], out.batch[ei[1]])
        assert torch.equal(out.y, original.y) and out.name == original.name
        parts, originals = out.to_data_list(), original.to_data_list()
        for part, source in zip(parts, originals):
            assert part.num_nodes >= 1
            assert set(part.x[:, 0].tolist()) <= set(source.x[:, 0].tolist())
            assert part.edge_attr.size(0) == part.edge_index.size(1)
            if part.edge_index.numel():
                assert int(part.edge_index.max()) < part.num_nodes
    else:
        assert torch.equal(out.y, original.y) and out.name == original.name
        assert n >= 1


def per_graph(data: Data, values: torch.Tensor) -> list[int]:
    b = as_batch(data)
    return torch.bincount(b.batch, minlength=b.num_graphs).tolist() if values is None else values


def node_counts(data: Data) -> list[int]:
    b = as_batch(data)
    return (b.ptr[1:] - b.ptr[:-1]).tolist()


def expected_kept(n: int, p: float) -> int:
    return n - min(round(p * n), n - 1)


inputs = st.one_of(graphs(), batches())


@FAST
@given(data=inputs, p=ratios, seed=st.integers(0, 2**16))
def test_drop_nodes_invariants(data, p, seed):
    saved = snapshot(data)
    out = drop_nodes(data, p, generator=gen(seed))
    assert same_fields(data, saved)
    check_structure(out, data)
    assert node_counts(out) == [expected_kept(n, p) for n in node_counts(data)]
    # Kept edges are exactly the original edges between surviving nodes, with their attributes.
    ids = out.x[:, 0]
    assert torch.equal(ids[out.edge_index[0]], out.edge_attr[:, 0])
    assert torch.equal(ids[out.edge_index[1]], out.edge_attr[:, 1])
    kept = set(ids.tolist())
    expected_edges = {(a, b) for a, b in data.edge_attr.tolist() if a in kept and b in kept}
    assert set(map(tuple, out.edge_attr.tolist())) == expected_edges
    assert torch.equal(drop_nodes(data, p, generator=gen(seed)).x, out.x)


@FAST
@given(data=inputs, p=ratios, seed=st.integers(0, 2**16))
def test_sample_subgraph_invariants(data, p, seed):
    saved = snapshot(data)
    out = sample_subgraph(data, p, generator=gen(seed))
    assert same_fields(data, saved)
    check_structure(out, data)
    assert node_counts(out) == [expected_kept(n, p) for n in node_counts(data)]
    ids = out.x[:, 0]
    assert torch.equal(ids[out.edge_index[0]], out.edge_attr[:, 0])
    assert torch.equal(ids[out.edge_index[1]], out.edge_attr[:, 1])
    # the kept edges are the subgraph induced by the kept nodes: all original edges between them, no other
    kept = set(ids.tolist())
    expected_edges = sorted((a, b) for a, b in data.edge_attr.tolist() if a in kept and b in kept)
    assert sorted(map(tuple, out.edge_attr.tolist())) == expected_edges
    assert torch.equal(sample_subgraph(data, p, generator=gen(seed)).x, out.x)


@FAST
@given(data=graphs(min_nodes=2), p=ratios, seed=st.integers(0, 2**16))
def test_sample_subgraph_is_connected_when_the_graph_is(data, p, seed):
    from torch_geometric.utils import to_networkx
    import networkx as nx

    graph = to_networkx(data, to_undirected=True)
    out = sample_subgraph(data, p, generator=gen(seed))
    if nx.is_connected(graph):
        assert nx.is_connected(to_networkx(out, to_undirected=True))
    stopped = sample_subgraph(data, p, generator=gen(seed), restart=False)
    component = max(len(c) for c in nx.connected_components(graph))
    assert 1 <= stopped.num_nodes <= expected_kept(data.num_nodes, p)
    assert nx.is_connected(to_networkx(stopped, to_undirected=True))
    assert stopped.num_nodes <= component


def test_sample_subgraph_grows_beyond_one_hop():
    # A path 0-1-...-9: keeping 80% needs nodes far from any seed, which a 1-hop neighbourhood lacks.
    n = 10
    row = torch.arange(n - 1)
    edge_index = torch.cat([torch.stack([row, row + 1]), torch.stack([row + 1, row])], 1)
    data = Data(x=torch.arange(n, dtype=torch.float).view(-1, 1), edge_index=edge_index)
    for seed in range(5):
        out = sample_subgraph(data, 0.2, generator=gen(seed), expansion_rate=0.01)
        kept = sorted(out.x[:, 0].long().tolist())
        assert len(kept) == 8 and kept == list(range(kept[0], kept[0] + 8))


@FAST
@given(data=inputs, p=ratios, seed=st.integers(0, 2**16))
def test_drop_edges_invariants(data, p, seed):
    saved = snapshot(data)
    out = drop_edges(data, p, generator=gen(seed))
    assert same_fields(data, saved)
    check_structure(out, data)
    assert torch.equal(out.x, data.x)
    original = set(map(tuple, data.edge_attr.tolist()))
    remaining = list(map(tuple, out.edge_attr.tolist()))
    assert set(remaining) <= original
    ids = out.x[:, 0]
    assert torch.equal(ids[out.edge_index[0]], out.edge_attr[:, 0])
    undirected = all((b, a) in original for a, b in original)
    if undirected:
        assert all((b, a) in set(remaining) for a, b in remaining)
    b_in, b_out = as_batch(data), as_batch(out)
    before = torch.bincount(b_in.batch[b_in.edge_index[0]], minlength=b_in.num_graphs)
    after = torch.bincount(b_out.batch[b_out.edge_index[0]], minlength=b_out.num_graphs)
    units = before // 2 if undirected else before
    dropped = torch.round(units.double() * p).long()
    assert torch.equal(before - after, dropped * 2 if undirected else dropped)


@FAST
@given(data=inputs, p=ratios, seed=st.integers(0, 2**16))
def test_perturb_edges_invariants(data, p, seed):
    saved = snapshot(data)
    out = perturb_edges(data, p, generator=gen(seed))
    assert same_fields(data, saved)
    check_structure(out, data)
    assert torch.equal(out.x, data.x)
    b_in, b_out = as_batch(data), as_batch(out)
    before = torch.bincount(b_in.batch[b_in.edge_index[0]], minlength=b_in.num_graphs)
    after = torch.bincount(b_out.batch[b_out.edge_index[0]], minlength=b_out.num_graphs)
    sizes = b_in.ptr[1:] - b_in.ptr[:-1]
    # Same edge count per graph; only single-node graphs (which have no edges here) cannot gain edges.
    assert torch.equal(before, after)
    assert bool((out.edge_index[0] != out.edge_index[1]).all()) or data.edge_index.numel() == 0
    # Attributes of every edge come from an existing edge of the same graph.
    for part, source in zip(b_out.to_data_list(), b_in.to_data_list()):
        assert set(map(tuple, part.edge_attr.tolist())) <= set(map(tuple, source.edge_attr.tolist()))
    original = set(map(tuple, data.edge_attr.tolist()))
    if all((b, a) in original for a, b in original):
        pairs = set(map(tuple, out.edge_index.t().tolist()))
        assert all((b, a) in pairs for a, b in pairs)
    assert sizes.min() >= 1
    assert torch.equal(perturb_edges(data, p, generator=gen(seed)).edge_index, out.edge_index)


def test_perturb_edges_fill_value_and_changes():
    data = Data(x=torch.zeros(6, 1), edge_index=torch.tensor([[0, 1, 2, 3, 4], [1, 2, 3, 4, 5]]),
                edge_attr=torch.ones(5, 3, dtype=torch.long))
    out = perturb_edges(data, 0.4, generator=gen(1), fill_value=7)
    added = (out.edge_attr == 7).all(1)
    assert int(added.sum()) == 2 and int((out.edge_attr == 1).all(1).sum()) == 3
    assert out.edge_attr.dtype == torch.long


@FAST
@given(data=inputs, p=ratios, seed=st.integers(0, 2**16),
       mode=st.sampled_from(["zero", "token", "gaussian"]))
def test_mask_attributes_invariants(data, p, seed, mode):
    saved = snapshot(data)
    token = torch.tensor([-1.0, -2.0])
    out = mask_attributes(data, p, mode=mode, mask_value=token if mode == "token" else None, generator=gen(seed))
    assert same_fields(data, saved)
    assert torch.equal(out.edge_index, data.edge_index) and torch.equal(out.pos, data.pos)
    changed = (out.x != data.x).any(1)
    per = torch.bincount(as_batch(data).batch[changed], minlength=as_batch(data).num_graphs)
    expected = [round(p * n) for n in node_counts(data)]
    if mode == "zero":  # no input row is zero (see strategies.graphs), so every masked row is a change
        assert bool((out.x[changed] == 0).all()) and per.tolist() == expected
    elif mode == "token":
        assert bool((out.x[changed] == token).all()) and per.tolist() == expected
    else:
        assert per.tolist() == expected
    again = mask_attributes(data, p, mode=mode, mask_value=token if mode == "token" else None, generator=gen(seed))
    assert torch.equal(again.x, out.x)


def test_mask_attributes_token_for_categorical_features():
    x = torch.randint(0, 5, (20, 9))
    token = torch.tensor([119, 4, 12, 12, 10, 6, 6, 2, 2])
    out = mask_attributes(Data(x=x, edge_index=torch.zeros(2, 0, dtype=torch.long)), 0.25, mode="token",
                          mask_value=token, generator=gen(0))
    masked = (out.x == token).all(1)
    assert out.x.dtype == torch.long and int(masked.sum()) == 5
    assert torch.equal(out.x[~masked], x[~masked])


@FAST
@given(data=inputs, seed=st.integers(0, 2**16))
def test_shuffle_node_features_within_graphs(data, seed):
    saved = snapshot(data)
    out = shuffle_node_features(data, generator=gen(seed))
    assert same_fields(data, saved)
    assert torch.equal(out.edge_index, data.edge_index) and torch.equal(out.pos, data.pos)
    b_in, b_out = as_batch(data), as_batch(out)
    for part, source in zip(b_out.to_data_list(), b_in.to_data_list()):
        assert sorted(part.x[:, 0].tolist()) == sorted(source.x[:, 0].tolist())
    assert torch.equal(shuffle_node_features(data, generator=gen(seed)).x, out.x)


def test_shuffle_is_a_uniform_permutation():
    data = Data(x=torch.arange(3, dtype=torch.float).view(-1, 1), edge_index=torch.zeros(2, 0, dtype=torch.long))
    generator = gen(0)
    seen = {tuple(shuffle_node_features(data, generator=generator).x.flatten().tolist()) for _ in range(200)}
    assert len(seen) == 6


@FAST
@given(data=inputs)
def test_identity_and_ratio_zero_keep_everything(data):
    out = identity(data)
    assert out is not data and same_fields(out, snapshot(data))
    for fn in (drop_nodes, sample_subgraph, drop_edges, perturb_edges):
        zero = fn(data, 0.0, generator=gen(0))
        assert zero.num_nodes == data.num_nodes and zero.edge_index.size(1) == data.edge_index.size(1)
        assert sorted(zero.x[:, 0].tolist()) == sorted(data.x[:, 0].tolist())
        assert sorted(map(tuple, zero.edge_attr.tolist())) == sorted(map(tuple, data.edge_attr.tolist()))


def test_per_graph_share_on_a_batch_of_unequal_graphs():
    sizes = [1, 2, 5, 10, 40]
    graphs_ = [Data(x=torch.randn(n, 2), edge_index=torch.zeros(2, 0, dtype=torch.long)) for n in sizes]
    out = drop_nodes(Batch.from_data_list(graphs_), 0.2, generator=gen(3))
    assert (out.ptr[1:] - out.ptr[:-1]).tolist() == [1, 2, 4, 8, 32]


def test_generator_changes_views_and_global_rng_untouched():
    data = Data(x=torch.randn(50, 4), edge_index=torch.randint(0, 50, (2, 200)))
    torch.manual_seed(0)
    state = torch.get_rng_state()
    a = drop_nodes(data, 0.3, generator=gen(1))
    b = drop_nodes(data, 0.3, generator=gen(2))
    assert torch.equal(torch.get_rng_state(), state)
    assert not torch.equal(a.x, b.x)


@pytest.mark.parametrize("p", [-0.1, 1.5, math.nan, math.inf])
@pytest.mark.parametrize("fn", [drop_nodes, drop_edges, perturb_edges, sample_subgraph, mask_attributes])
def test_bad_ratio(fn, p):
    data = Data(x=torch.randn(4, 2), edge_index=torch.tensor([[0, 1], [1, 0]]))
    with pytest.raises(ValueError, match="p must lie in"):
        fn(data, p)
    with pytest.raises(TypeError):
        fn(data, "0.2")


def test_empty_graph_and_bad_inputs():
    empty = Data(x=torch.zeros(0, 3), edge_index=torch.zeros(2, 0, dtype=torch.long))
    batch = Batch.from_data_list([Data(x=torch.randn(3, 3), edge_index=torch.zeros(2, 0, dtype=torch.long)), empty])
    for data in (empty, batch):
        with pytest.raises(ValueError, match="without nodes"):
            drop_nodes(data, 0.2)
    nan = Data(x=torch.tensor([[0.0], [math.nan]]), edge_index=torch.zeros(2, 0, dtype=torch.long))
    with pytest.raises(ValueError, match="NaN"):
        mask_attributes(nan, 0.5)
    with pytest.raises(ValueError, match="NaN"):
        shuffle_node_features(nan)
    ok = Data(x=torch.randn(3, 2), edge_index=torch.tensor([[0, 5], [1, 0]]))
    with pytest.raises(ValueError, match="outside"):
        drop_nodes(ok, 0.2)
    with pytest.raises(ValueError, match="mode"):
        mask_attributes(Data(x=torch.randn(3, 2)), 0.2, mode="blur")
    with pytest.raises(ValueError, match="mask_value"):
        mask_attributes(Data(x=torch.randn(3, 2)), 0.2, mode="token")
    with pytest.raises(TypeError, match="floating-point"):
        mask_attributes(Data(x=torch.ones(3, 2, dtype=torch.long)), 0.2, mode="gaussian")
    with pytest.raises(TypeError):
        drop_nodes({"x": torch.randn(3, 2)}, 0.2)


def test_num_nodes_not_inferred_from_edges():
    # Isolated trailing nodes exist only through num_nodes.
    data = Data(edge_index=torch.tensor([[0, 1], [1, 0]]), num_nodes=10)
    out = drop_nodes(data, 0.5, generator=gen(0))
    assert out.num_nodes == 5
    batch = Batch.from_data_list([data, Data(edge_index=torch.zeros(2, 0, dtype=torch.long), num_nodes=4)])
    out = sample_subgraph(batch, 0.5, generator=gen(0))
    assert [g.num_nodes for g in out.to_data_list()] == [5, 2]
