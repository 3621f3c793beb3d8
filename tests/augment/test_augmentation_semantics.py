"""What each augmentation does, counted exactly (not only that the result is well formed)."""
from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_geometric.data import Batch

from graphcl.augment import perturb_edges

from .strategies import batches, graphs

FAST = settings(max_examples=30, deadline=None)
FILL = -7.0  # marks the edges perturb_edges adds (no original edge field holds it)


def as_batch(data):
    return data if isinstance(data, Batch) else Batch.from_data_list([data])


@FAST
@given(data=st.one_of(graphs(), batches()), p=st.sampled_from([0.1, 0.2, 0.35, 0.5, 0.8, 1.0]),
       seed=st.integers(0, 2**16))
def test_perturb_edges_replaces_exactly_round_p_m_edges_per_graph(data, p, seed):
    out = perturb_edges(data, p, generator=torch.Generator().manual_seed(seed), fill_value=FILL)
    b_in, b_out = as_batch(data), as_batch(out)
    original = list(map(tuple, b_in.edge_attr.tolist()))
    undirected = all((b, a) in set(original) for a, b in original)
    added = (b_out.edge_attr == FILL).all(1)
    assert torch.equal(b_out.edge_weight == FILL, added)
    sizes = (b_in.ptr[1:] - b_in.ptr[:-1]).tolist()
    for g, n in enumerate(sizes):
        before = [e for e, graph in zip(original, b_in.batch[b_in.edge_index[0]].tolist()) if graph == g]
        in_graph = b_out.batch[b_out.edge_index[0]] == g
        kept = list(map(tuple, b_out.edge_attr[in_graph & ~added].tolist()))
        new = b_out.edge_index[:, in_graph & added]
        units = len(before) // 2 if undirected else len(before)
        k = round(p * units)
        per_unit = 2 if undirected else 1
        # k units of the original edges are removed (no edge appears twice, so count them) ...
        assert len(kept) == len(before) - per_unit * k and set(kept) <= set(before)
        assert len(set(kept)) == len(kept)
        # ... and as many new ones are added, between two distinct nodes of the same graph
        assert new.size(1) == (per_unit * k if n >= 2 else 0)
        if new.numel():
            assert bool((new[0] != new[1]).all())
            assert bool((b_out.batch[new[1]] == g).all())
        if undirected:
            pairs = list(map(tuple, new.t().tolist()))
            assert sorted(pairs) == sorted((b, a) for a, b in pairs)
