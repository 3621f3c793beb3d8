"""Per-graph random choice: every graph draws its own augmentation, the batch is augmented at once.

The reference is per graph: each output graph (from ``to_data_list``) is checked against its own input graph
with the invariants of the augmentation it drew, written here with Python sets and loops."""
from __future__ import annotations

from collections import Counter
from functools import partial

import pytest
import torch
from torch import Tensor
from torch_geometric.data import Batch, Data

from graphcl.augment import (Compose, DropEdges, DropNodes, Identity, MaskAttributes, PerturbEdges,
                             RandomChoicePerGraph, SampleSubgraph, ShuffleNodeFeatures, apply_to_graphs, drop_nodes,
                             random_choice_per_graph)
from graphcl.augment import GRAPHCL_AUGMENTATION_MODES as MODES_FROM_AUGMENT
from graphcl.augment import build_augmentations as build_from_augment
from graphcl.methods.graphcl_graph import GRAPHCL_AUGMENTATION_MODES, augment_per_graph, build_augmentations

P = 0.4
TOKEN = -7.0


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def random_graph(n: int, offset: int, generator: torch.Generator, undirected: bool, density: float) -> Data:
    """Node ``i`` carries its batch-wide id ``offset + i`` in ``x[:, 0]`` and ``node_label``; an edge carries
    its endpoints' ids in ``edge_attr``, so misaligned fields show up."""
    pairs = set()
    for u in range(n):
        for v in range(n):
            if u != v and float(torch.rand(1, generator=generator)) < density:
                pairs.add((min(u, v), max(u, v)) if undirected else (u, v))
    if undirected:
        pairs = pairs | {(v, u) for u, v in pairs}
    edge_index = torch.tensor(sorted(pairs), dtype=torch.long).t().reshape(2, -1)
    ids = torch.arange(n, dtype=torch.float) + offset
    x = torch.stack([ids, torch.rand(n, generator=generator)], 1)
    edge_attr = torch.stack([ids[edge_index[0]], ids[edge_index[1]]], 1)
    return Data(x=x, node_label=ids.long(), edge_index=edge_index, edge_attr=edge_attr,
                y=torch.tensor([[float(n), float(offset)]]), name=f"graph-{offset}")


def make_batch(num_graphs: int = 40, seed: int = 0, max_nodes: int = 14) -> Batch:
    generator = gen(seed)
    graphs, offset = [], 0
    for index in range(num_graphs):
        n = int(torch.randint(1, max_nodes + 1, (1,), generator=generator))
        density = 0.0 if index % 7 == 3 else float(torch.rand(1, generator=generator)) * 0.5
        graphs.append(random_graph(n, offset, generator, undirected=index % 3 != 0, density=density))
        offset += n
    return Batch.from_data_list(graphs)


def edge_set(graph: Data) -> Counter:
    """Edges as a multiset of (source id, target id)."""
    ids = graph.x[:, 0].long().tolist()
    return Counter((ids[u], ids[v]) for u, v in graph.edge_index.t().tolist())


def check_common(out: Data, original: Data) -> None:
    """Valid graph, fields aligned, graph-level fields kept."""
    n = out.num_nodes
    assert out.x.size(0) == out.node_label.size(0) == n
    assert torch.equal(out.x[:, 0].long(), out.node_label)
    assert out.edge_index.size(1) == out.edge_attr.size(0)
    if out.edge_index.numel():
        assert int(out.edge_index.min()) >= 0 and int(out.edge_index.max()) < n
    assert torch.equal(out.y, original.y) and out.name == original.name


def induced(original: Data, kept_ids: set) -> Counter:
    return Counter({edge: count for edge, count in edge_set(original).items()
                    if edge[0] in kept_ids and edge[1] in kept_ids})


def is_connected(graph: Data) -> bool:
    n = graph.num_nodes
    neighbours = {i: set() for i in range(n)}
    for u, v in graph.edge_index.t().tolist():
        neighbours[u].add(v)
        neighbours[v].add(u)
    seen, stack = {0}, [0]
    while stack:
        for w in neighbours[stack.pop()] - seen:
            seen.add(w)
            stack.append(w)
    return len(seen) == n


def components(graph: Data) -> int:
    n = graph.num_nodes
    parent = list(range(n))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for u, v in graph.edge_index.t().tolist():
        parent[find(u)] = find(v)
    return len({find(i) for i in range(n)})


def kept_nodes(n: int) -> int:
    return n - min(int(torch.round(torch.tensor(n * P, dtype=torch.float64))), n - 1)


def check_node_drop(out: Data, original: Data) -> None:
    check_common(out, original)
    ids = out.x[:, 0].tolist()
    assert out.num_nodes == kept_nodes(original.num_nodes)
    assert ids == sorted(ids) and set(ids) <= set(original.x[:, 0].tolist())
    # rows are the original rows of the kept nodes, edges are exactly the induced subgraph
    rows = {float(r[0]): r for r in original.x}
    assert all(torch.equal(row, rows[float(row[0])]) for row in out.x)
    assert edge_set(out) == induced(original, {int(i) for i in ids})
    assert all(tuple(a) == (out.x[u, 0].item(), out.x[v, 0].item())
               for a, (u, v) in zip(out.edge_attr.tolist(), out.edge_index.t().tolist()))


def check_subgraph(out: Data, original: Data) -> None:
    check_node_drop(out, original)
    # grown from one seed: connected whenever the original graph is
    if components(original) == 1:
        assert is_connected(out)


def is_undirected(data: Data) -> bool:
    """Whether every edge has its reverse. Edge perturbation reads this on the whole batch it is given."""
    edges = Counter(map(tuple, data.edge_index.t().tolist()))
    return all(edges[(v, u)] == count for (u, v), count in edges.items())


def check_edge_perturb(out: Data, original: Data, undirected: bool) -> None:
    check_common(out, original)
    assert torch.equal(out.x, original.x)
    before, after = edge_set(original), edge_set(out)
    m = original.edge_index.size(1)
    units = m // 2 if undirected and m else m
    changed = int(torch.round(torch.tensor(units * P, dtype=torch.float64)))
    kept = sum((before & after).values())
    per_unit = 2 if undirected else 1
    assert kept >= m - per_unit * changed
    if original.num_nodes >= 2:
        assert after.total() == m
    else:
        assert after.total() == 0
    assert all(u != v for u, v in after - before)  # added edges join two distinct nodes


def check_mask(out: Data, original: Data) -> None:
    assert torch.equal(out.y, original.y) and out.name == original.name
    assert out.num_nodes == original.num_nodes and torch.equal(out.edge_index, original.edge_index)
    masked = (out.x != original.x).any(1)
    assert int(masked.sum()) == int(torch.round(torch.tensor(original.num_nodes * P, dtype=torch.float64)))
    assert bool((out.x[masked] == TOKEN).all())
    assert torch.equal(out.node_label, original.node_label) and torch.equal(out.y, original.y)


def check_identity(out: Data, original: Data) -> None:
    check_common(out, original)
    for key in ("x", "edge_index", "edge_attr", "node_label"):
        assert torch.equal(out[key], original[key])


CANDIDATES = [
    (lambda g: DropNodes(P, generator=g), check_node_drop),
    (lambda g: SampleSubgraph(P, generator=g), check_subgraph),
    (lambda g: PerturbEdges(P, generator=g), None),
    (lambda g: MaskAttributes(P, mode="token", mask_value=TOKEN, generator=g), check_mask),
    (lambda g: Identity(), check_identity),
]


def checks_for(batch: Batch) -> list:
    return [check if check is not None else partial(check_edge_perturb, undirected=is_undirected(batch))
            for _, check in CANDIDATES]


def check_per_graph(out: Batch, batch: Batch, choice: Tensor, checks) -> None:
    assert isinstance(out, Batch) and out.num_graphs == batch.num_graphs
    parts, originals = out.to_data_list(), batch.to_data_list()
    assert len(parts) == len(originals)
    assert torch.equal(out.batch, torch.repeat_interleave(torch.arange(out.num_graphs), out.ptr.diff()))
    for part, original, drawn in zip(parts, originals, choice.tolist()):
        checks[drawn](part, original)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_each_graph_is_augmented_by_the_transform_it_drew(seed):
    batch = make_batch(seed=seed)
    snapshot = {key: batch[key].clone() for key in ("x", "edge_index", "edge_attr", "batch", "ptr")}
    transforms = [make(gen(seed + 10 * i)) for i, (make, _) in enumerate(CANDIDATES)]
    out, choice = random_choice_per_graph(batch, transforms, generator=gen(seed), return_choice=True)
    assert set(choice.tolist()) == set(range(len(CANDIDATES)))  # every candidate exercised
    check_per_graph(out, batch, choice, checks_for(batch))
    for key, value in snapshot.items():  # input untouched
        assert torch.equal(batch[key], value)


def test_transform_class_and_graphcl_helper_take_the_same_route():
    batch = make_batch(seed=4)
    transforms = [make(gen(3)) for make, _ in CANDIDATES]
    augment = RandomChoicePerGraph(transforms, generator=gen(4))
    out = augment(batch)
    check_per_graph(out, batch, augment.last_choice, checks_for(batch))
    assert repr(RandomChoicePerGraph([DropNodes(0.2), SampleSubgraph(0.2)])) == \
        "RandomChoicePerGraph([DropNodes(p=0.2), SampleSubgraph(p=0.2)])"
    view = augment_per_graph(batch, [DropNodes(P, generator=gen(1)), SampleSubgraph(P, generator=gen(2))], gen(5))
    assert [g.num_nodes for g in view.to_data_list()] == [kept_nodes(g.num_nodes) for g in batch.to_data_list()]


def test_custom_callables_take_the_sub_batch_route():
    batch = make_batch(seed=5)
    calls = []

    def shift(data):  # not an Augmentation: cut out, called once, put back
        calls.append(data.num_graphs)
        out = data.clone()
        out.x = out.x.clone()
        out.x[:, 1] += 100.0
        out.y = out.y * 10
        return out

    class OwnDrop(DropNodes):  # overrides forward: must not be routed through DropNodes' masks
        def forward(self, data):
            return drop_nodes(data, 0.0)

    transforms = [shift, OwnDrop(P), lambda data: drop_nodes(data, P, generator=gen(6))]

    def check_shift(part, original):
        assert torch.equal(part.x[:, 1], original.x[:, 1] + 100.0) and torch.equal(part.y, original.y * 10)
        assert torch.equal(part.edge_index, original.edge_index) and torch.equal(part.edge_attr, original.edge_attr)

    out, choice = random_choice_per_graph(batch, transforms, generator=gen(7), return_choice=True)
    assert calls == [int((choice == 0).sum())]
    check_per_graph(out, batch, choice, [check_shift, check_identity, check_node_drop])


def test_draw_frequencies_follow_probs():
    # 2-node graphs; the outcome tells which transform ran: unchanged, masked, or one node dropped
    graphs = [Data(x=torch.ones(2, 1), edge_index=torch.tensor([[0, 1], [1, 0]])) for _ in range(3000)]
    batch = Batch.from_data_list(graphs)
    probs = [0.2, 0.5, 0.3]
    transforms = [Identity(), MaskAttributes(1.0, mode="token", mask_value=0.0), DropNodes(0.5, generator=gen(1))]
    out = random_choice_per_graph(batch, transforms, probs=probs, generator=gen(8))
    counts = out.ptr.diff()
    node_sums = torch.zeros(batch.num_graphs).index_add_(0, out.batch, out.x[:, 0])
    dropped = (counts == 1).float().mean().item()
    masked = ((counts == 2) & (node_sums == 0)).float().mean().item()
    kept = ((counts == 2) & (node_sums == 2)).float().mean().item()
    for observed, expected in zip((kept, masked, dropped), probs):
        assert abs(observed - expected) < 0.03  # about 3.5 standard deviations
    with pytest.raises(ValueError):
        random_choice_per_graph(batch, transforms, probs=[1.0, 0.0])
    with pytest.raises(ValueError):
        random_choice_per_graph(batch, transforms, probs=[1.0, -1.0, 1.0])
    with pytest.raises(TypeError):
        random_choice_per_graph(batch, [Identity(), "node_drop"])
    with pytest.raises(ValueError):
        random_choice_per_graph(batch, [])


def test_determinism_with_generators():
    batch = make_batch(seed=9)

    def run(seed):
        transforms = [make(gen(seed + i)) for i, (make, _) in enumerate(CANDIDATES)]
        return random_choice_per_graph(batch, transforms, generator=gen(seed))

    first, second, other = run(1), run(1), run(2)
    for key in ("x", "edge_index", "edge_attr", "batch", "ptr"):
        assert torch.equal(first[key], second[key])
    assert first.x.shape != other.x.shape or not torch.equal(first.x, other.x)


def test_single_graph_draws_one_transform():
    graph = random_graph(9, 0, gen(0), undirected=True, density=0.4)
    out = random_choice_per_graph(graph, [Identity(), DropNodes(P, generator=gen(1))], probs=[0.0, 1.0],
                                  generator=gen(2))
    assert type(out) is Data and out.num_nodes == kept_nodes(9)
    check_node_drop(out, graph)
    sizes = {random_choice_per_graph(graph, [Identity(), DropNodes(P)], generator=gen(s)).num_nodes
             for s in range(20)}
    assert sizes == {9, kept_nodes(9)}


def test_graphs_without_edges():
    empty = Batch.from_data_list([Data(x=torch.arange(n, dtype=torch.float).view(-1, 1),
                                       edge_index=torch.zeros(2, 0, dtype=torch.long)) for n in (1, 3, 5, 2)])
    transforms = build_from_augment(GRAPHCL_AUGMENTATION_MODES["random4"], P, generator=gen(0))
    out, choice = random_choice_per_graph(empty, transforms, generator=gen(1), return_choice=True)
    parts = out.to_data_list()
    for part, n, drawn in zip(parts, (1, 3, 5, 2), choice.tolist()):
        assert part.edge_index.shape == (2, 0)
        assert part.num_nodes == (kept_nodes(n) if drawn in (0, 2) else n)


def test_graph_mask_leaves_other_graphs_untouched():
    batch = make_batch(seed=11)
    mask = torch.arange(batch.num_graphs) % 2 == 0
    for transform in [make(gen(0)) for make, _ in CANDIDATES[:4]] + [ShuffleNodeFeatures(generator=gen(0)),
                                                                      DropEdges(P, generator=gen(0)),
                                                                      Compose([DropEdges(P), DropNodes(P)])]:
        out = apply_to_graphs(transform, batch, mask)
        for part, original, chosen in zip(out.to_data_list(), batch.to_data_list(), mask.tolist()):
            if not chosen:
                check_identity(part, original)
    with pytest.raises(ValueError, match="shape"):
        apply_to_graphs(DropNodes(P), batch, mask[:-1])
    with pytest.raises(TypeError):
        apply_to_graphs(DropNodes(P), batch, mask.long())


def test_no_unbatching_on_the_vectorized_routes(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("unbatched")

    batch = make_batch(seed=12)
    monkeypatch.setattr(Batch, "get_example", forbidden)
    monkeypatch.setattr(Batch, "from_data_list", classmethod(forbidden))
    transforms = [make(gen(0)) for make, _ in CANDIDATES] + [lambda d: drop_nodes(d, P)]
    out = random_choice_per_graph(batch, transforms, generator=gen(0))
    assert out.num_graphs == batch.num_graphs
    monkeypatch.undo()
    assert len(out.to_data_list()) == batch.num_graphs


def test_batch_without_collation_metadata_is_refused():
    batch = make_batch(num_graphs=3)
    loose = Batch(x=batch.x, edge_index=batch.edge_index, batch=batch.batch, ptr=batch.ptr)
    with pytest.raises(ValueError, match="from_data_list"):
        random_choice_per_graph(loose, [Identity(), DropNodes(P)])


def test_modes_moved_to_augment_and_still_importable_from_methods():
    assert GRAPHCL_AUGMENTATION_MODES is MODES_FROM_AUGMENT and build_augmentations is build_from_augment
    built = build_augmentations(GRAPHCL_AUGMENTATION_MODES["random4"], 0.2)
    assert [type(t) for t in built] == [DropNodes, PerturbEdges, SampleSubgraph, MaskAttributes]
    assert built[3].mode == "gaussian"
    with pytest.raises(ValueError, match="unknown augmentation"):
        build_augmentations(["rotate"], 0.2)


def test_substitution_as_a_per_graph_candidate():
    pytest.importorskip("rdkit")
    from graphcl.augment import SubstructureSubstitution
    from graphcl.augment.chemistry.substitution import smiles_to_data

    smiles = ["CCO", "c1ccccc1O", "CC(=O)O", "CCN", "c1ccncc1", "CCCl", "OCC(O)CO", "CC(C)C(=O)O"]
    graphs = [smiles_to_data(s) for s in smiles]
    for label, graph in enumerate(graphs):
        graph.y = torch.tensor([[float(label)]])
    batch = Batch.from_data_list(graphs)
    substitution = SubstructureSubstitution(generator=gen(0))
    out, choice = random_choice_per_graph(batch, [substitution, DropNodes(P, generator=gen(1))],
                                          generator=gen(3), return_choice=True)
    assert set(choice.tolist()) == {0, 1}
    for part, original, drawn, text in zip(out.to_data_list(), batch.to_data_list(), choice.tolist(), out.smiles):
        assert torch.equal(part.y, original.y)
        if drawn == 0:
            reference = smiles_to_data(text)  # the view is the OGB featurization of its new SMILES
            assert torch.equal(part.x, reference.x) and torch.equal(part.edge_index, reference.edge_index)
            assert torch.equal(part.edge_attr, reference.edge_attr)
        else:
            assert text == original.smiles and part.num_nodes == kept_nodes(original.num_nodes)
