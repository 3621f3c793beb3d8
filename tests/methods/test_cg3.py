import math

import pytest
import torch
from torch_geometric.data import Data
from torch_geometric.utils import stochastic_blockmodel_graph

from graphcl.methods.cg3 import (CG3, LOSS_TERMS, cross_view_contrast, cross_view_supervised_contrast,
                                 label_rate_split, train_cg3, with_split)


def _graph(seed: int = 0, per_class: int = 20, classes: int = 3, features: int = 12) -> Data:
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # stochastic_blockmodel_graph draws from the global generator
    sizes = [per_class] * classes
    probs = torch.full((classes, classes), 0.02) + torch.eye(classes) * 0.25
    edge_index = stochastic_blockmodel_graph(sizes, probs)
    y = torch.arange(classes).repeat_interleave(per_class)
    centers = torch.rand(classes, features, generator=generator)
    x = (centers[y] + 0.8 * torch.rand(len(y), features, generator=generator)).clamp(min=0)
    x[x < 0.6] = 0.0  # sparse-ish, like bag-of-words features
    n = len(y)
    order = torch.randperm(n, generator=generator)
    masks = {name: torch.zeros(n, dtype=torch.bool) for name in ("train_mask", "val_mask", "test_mask")}
    train = torch.cat([order[y[order] == c][:3] for c in range(classes)])
    masks["train_mask"][train] = True
    rest = order[~masks["train_mask"][order]]
    masks["val_mask"][rest[:15]] = True
    masks["test_mask"][rest[15:]] = True
    return Data(x=x, edge_index=edge_index, y=y, **masks)


def _model(data, **kwargs):
    return CG3(data.num_features, int(data.y.max()) + 1, hidden_channels=16, hierarchical_hidden_channels=8,
               num_levels=2, **kwargs)


def test_cross_view_contrast_matches_reference():
    torch.manual_seed(0)
    z1, z2 = torch.randn(7, 4), torch.randn(7, 4)
    a, b = torch.nn.functional.normalize(z1, dim=1), torch.nn.functional.normalize(z2, dim=1)
    s = a @ b.t() / 0.5
    expected = 0.0
    for i in range(7):
        expected += -math.log(math.exp(s[i, i]) / sum(math.exp(s[i, j]) for j in range(7)))
        expected += -math.log(math.exp(s[i, i]) / sum(math.exp(s[j, i]) for j in range(7)))
    assert float(cross_view_contrast(z1, z2, 0.5)) == pytest.approx(expected / 14, rel=1e-5)
    # the small-temperature path (log-sum-exp) agrees with the direct one
    assert float(cross_view_contrast(z1, z2, 0.04)) == pytest.approx(
        float(torch.stack([torch.logsumexp(a @ b.t() / 0.04, 1), torch.logsumexp(a @ b.t() / 0.04, 0)]).sum(0).sub(
            2 * (a * b).sum(1) / 0.04).mean() / 2), rel=1e-5)
    with pytest.raises(ValueError):
        cross_view_contrast(z1, z2[:3])


def test_cross_view_supervised_contrast_matches_reference():
    # the official form: log of (mean over same-class nodes of the other view, self included) over
    # (sum over all nodes of the other view), both directions
    torch.manual_seed(1)
    z1, z2 = torch.randn(6, 3), torch.randn(6, 3)
    labels = torch.tensor([0, 1, 0, 2, 1, 0])
    a, b = torch.nn.functional.normalize(z1, dim=1), torch.nn.functional.normalize(z2, dim=1)
    expected = 0.0
    for s in (a @ b.t() / 0.5, b @ a.t() / 0.5):
        for i in range(6):
            positives = [j for j in range(6) if labels[j] == labels[i]]
            mean_positive = sum(math.exp(s[i, j]) for j in positives) / len(positives)
            expected += -math.log(mean_positive / sum(math.exp(s[i, j]) for j in range(6)))
    value = cross_view_supervised_contrast(z1, z2, labels, 0.5)
    assert float(value) == pytest.approx(expected / 12, rel=1e-5)
    # symmetric in the views; a class of one node gives log(e^{s_ii} / sum) like the unsupervised term
    assert float(cross_view_supervised_contrast(z2, z1, labels, 0.5)) == pytest.approx(float(value), rel=1e-5)
    assert float(cross_view_supervised_contrast(z1, z2, torch.arange(6), 0.5)) == pytest.approx(
        float(cross_view_contrast(z1, z2, 0.5)), rel=1e-5)
    with pytest.raises(ValueError):
        cross_view_supervised_contrast(z1, z2, labels.float())


def test_loss_terms_finite_and_training_decreases_loss():
    data = _graph()
    torch.manual_seed(0)
    model = _model(data)
    terms = model.loss_terms(data)
    assert set(terms) == set(LOSS_TERMS)
    assert all(torch.isfinite(v) for v in terms.values())
    result = train_cg3(model, data, epochs=40, weight_decay=5e-4, device="cpu", progress=False)
    losses = [h["loss"] for h in result.history]
    assert all(math.isfinite(v) for v in losses)
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5
    assert result.valid_accuracy > 0.5  # three well separated blocks


@pytest.mark.parametrize("term", LOSS_TERMS)
def test_each_switch_removes_its_term(term):
    data = _graph()
    torch.manual_seed(0)
    full = _model(data)
    torch.manual_seed(0)
    ablated = _model(data, **{f"{term}_weight": 0.0})
    ablated.load_state_dict(full.state_dict())
    full.eval(), ablated.eval()  # no dropout: the remaining terms must agree exactly
    full_terms, ablated_terms = full.loss_terms(data), ablated.loss_terms(data)
    assert term not in ablated_terms and set(ablated_terms) == set(LOSS_TERMS) - {term}
    for name, value in ablated_terms.items():
        assert torch.allclose(value, full_terms[name])
    expected = sum(full.weights[n] * full_terms[n] for n in full_terms if n != term)
    assert torch.allclose(ablated.loss(data), expected)


def test_model_selection_reads_validation_only():
    data = _graph()
    scrambled = data.clone()
    generator = torch.Generator().manual_seed(1)
    scrambled.y[data.test_mask] = torch.randint(0, 3, (int(data.test_mask.sum()),), generator=generator)
    results = []
    for graph in (data, scrambled):
        torch.manual_seed(0)
        results.append(train_cg3(_model(graph), graph, epochs=25, weight_decay=5e-4, device="cpu",
                                 progress=False))
    first, second = results
    assert first.best_epoch == second.best_epoch
    assert [h["valid_accuracy"] for h in first.history] == [h["valid_accuracy"] for h in second.history]
    valid = [h["valid_accuracy"] for h in first.history]
    assert first.valid_accuracy == max(valid) and first.best_epoch == valid.index(max(valid)) + 1


def test_training_is_deterministic_and_patience_stops_early():
    data = _graph()
    runs = []
    for _ in range(2):
        torch.manual_seed(3)
        runs.append(train_cg3(_model(data), data, epochs=15, device="cpu", progress=False))
    assert [h["loss"] for h in runs[0].history] == [h["loss"] for h in runs[1].history]
    assert runs[0].test_accuracy == runs[1].test_accuracy
    torch.manual_seed(3)
    stopped = train_cg3(_model(data), data, epochs=200, patience=3, device="cpu", progress=False)
    assert stopped.epochs_run <= stopped.best_epoch + 3 and stopped.epochs_run < 200


def test_embed_and_predict_are_eval_and_normalized():
    data = _graph()
    model = _model(data)
    model.train()
    out = model.embed(data)
    assert out.shape == (data.num_nodes, 3) and not out.requires_grad
    assert torch.allclose(out.norm(dim=1), torch.ones(data.num_nodes), atol=1e-5)
    assert model.training  # mode restored
    assert torch.equal(model.embed(data), model.embed(data))  # no dropout


def test_parameter_groups_and_repr():
    data = _graph()
    model = _model(data)
    decayed, exempt = model.parameter_groups(0.1)
    assert decayed["weight_decay"] == 0.1 and exempt["weight_decay"] == 0.0
    assert len(decayed["params"]) + len(exempt["params"]) == len(list(model.parameters()))
    assert any(p is model.hierarchical.node_weight_embedding.weight for p in exempt["params"])
    assert repr(model).startswith("CG3(12, 3, hidden_channels=16, num_levels=2")


def test_bad_input_raises_clear_errors():
    data = _graph()
    with pytest.raises(ValueError, match="weight"):
        _model(data, unsupervised_weight=0, supervised_weight=0, generative_weight=0, classification_weight=0)
    with pytest.raises(ValueError, match="temperature"):
        _model(data, temperature=0.0)
    bad = data.clone()
    bad.x[0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        _model(bad).loss(bad)
    no_edges = data.clone()
    no_edges.edge_index = torch.zeros(2, 0, dtype=torch.long)
    with pytest.raises(ValueError, match="edges"):
        _model(no_edges).loss(no_edges)
    unlabeled = data.clone()
    unlabeled.train_mask = torch.zeros(data.num_nodes, dtype=torch.bool)
    with pytest.raises(ValueError, match="labelled"):
        _model(unlabeled).loss(unlabeled)
    wrong_dim = data.clone()
    wrong_dim.x = wrong_dim.x[:, :5]
    with pytest.raises(ValueError, match="shape"):
        _model(data).loss(wrong_dim)
    no_valid = data.clone()
    no_valid.val_mask = torch.zeros(data.num_nodes, dtype=torch.bool)
    with pytest.raises(ValueError, match="validation"):
        train_cg3(_model(data), no_valid, epochs=2, device="cpu", progress=False)


def test_label_rate_split_is_class_balanced_disjoint_and_seeded():
    y = torch.arange(4).repeat_interleave(300)  # 1200 nodes
    split = label_rate_split(y, 0.01, num_valid=100, num_test=200, generator=torch.Generator().manual_seed(0))
    assert torch.bincount(y[split["train"]]).tolist() == [3, 3, 3, 3]
    assert split["valid"].numel() == 100 and split["test"].numel() == 200
    together = torch.cat([split["train"], split["valid"], split["test"]])
    assert together.unique().numel() == together.numel()
    again = label_rate_split(y, 0.01, num_valid=100, num_test=200, generator=torch.Generator().manual_seed(0))
    assert all(torch.equal(split[k], again[k]) for k in split)
    other = label_rate_split(y, 0.01, num_valid=100, num_test=200, generator=torch.Generator().manual_seed(1))
    assert not torch.equal(split["train"], other["train"])
    with pytest.raises(ValueError):
        label_rate_split(y, 0.0)
    with pytest.raises(ValueError):
        label_rate_split(y, 1.5)
    with pytest.raises(ValueError, match="unlabelled"):
        label_rate_split(y, 0.5, num_valid=500, num_test=1000)


def test_with_split_leaves_the_input_alone():
    data = _graph()
    before = data.train_mask.clone()
    split = label_rate_split(data.y, 0.1, num_valid=10, num_test=20, generator=torch.Generator().manual_seed(0))
    out = with_split(data, split)
    assert torch.equal(data.train_mask, before)
    assert int(out.train_mask.sum()) == 6 and int(out.val_mask.sum()) == 10 and int(out.test_mask.sum()) == 20


def test_cross_view_contrast_gradient_is_exact():
    torch.manual_seed(0)
    z1 = torch.randn(9, 4, dtype=torch.double, requires_grad=True)
    z2 = torch.randn(9, 4, dtype=torch.double, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: cross_view_contrast(a, b, 0.5), (z1, z2))


def test_training_emits_no_sparse_user_warnings():
    import warnings

    data = _graph()
    torch.manual_seed(0)
    model = _model(data)
    with warnings.catch_warnings():
        # torch's "sparse CSR support is in beta" / "invariant checks implicitly disabled" must not
        # reach users: every sparse tensor CG3 builds goes through graphcl's silenced constructors
        warnings.simplefilter("error", UserWarning)
        train_cg3(model, data, epochs=2, progress=False)
        model.predict(data)


def test_record_test_is_a_diagnostic_that_leaves_selection_alone():
    data = _graph()
    runs = []
    for record in (False, True):
        torch.manual_seed(0)
        runs.append(train_cg3(_model(data), data, epochs=20, weight_decay=5e-4, progress=False,
                              record_test=record))
    plain, recorded = runs
    assert "test_accuracy" not in plain.history[0]
    assert (plain.best_epoch, plain.test_accuracy) == (recorded.best_epoch, recorded.test_accuracy)
    curve = [h["test_accuracy"] for h in recorded.history]
    assert len(curve) == 20 and curve[recorded.best_epoch - 1] == pytest.approx(recorded.test_accuracy)


def test_precomputed_hierarchy_is_used_and_checked():
    from graphcl.nn.hierarchical_gcn import coarsening_hierarchy

    data = _graph()
    own = coarsening_hierarchy(data.edge_index, data.num_nodes, num_levels=2)
    runs = []
    for hierarchy in (None, own):
        torch.manual_seed(0)
        runs.append(train_cg3(_model(data), data, epochs=5, progress=False, hierarchy=hierarchy))
    assert [h["loss"] for h in runs[0].history] == [h["loss"] for h in runs[1].history]
    # a weighted graph gives another hierarchy, and the model then trains on it
    source, target = data.edge_index
    weight = 1.0 + ((source + target) % 3).float()  # symmetric: the same for both directions
    model = _model(data)
    weighted = coarsening_hierarchy(data.edge_index, data.num_nodes, num_levels=2, edge_weight=weight)
    assert model.prepare(data, weighted).hierarchy is not None
    with pytest.raises(ValueError, match="levels"):
        model.prepare(data, coarsening_hierarchy(data.edge_index, data.num_nodes, num_levels=3))
    with pytest.raises(TypeError, match="CoarseningHierarchy"):
        model.prepare(data, hierarchy="not a hierarchy")


def test_gradients_are_deterministic_on_two_threads():
    # advanced indexing's backward accumulates in a thread-dependent order on a multi-core CPU; the
    # generative loss gathers every edge's endpoints, so it must use an order-fixed gather
    from torch_geometric.utils import erdos_renyi_graph

    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        torch.manual_seed(0)
        n = 3000
        data = Data(x=torch.rand(n, 8), edge_index=erdos_renyi_graph(n, 0.004), y=torch.arange(n) % 3,
                    train_mask=torch.arange(n) < 30)
        model = CG3(8, 3, hidden_channels=8, hierarchical_hidden_channels=4, num_levels=1,
                    unsupervised_weight=0.0, supervised_weight=0.0, classification_weight=0.0).eval()
        grads = []
        for _ in range(3):
            model.zero_grad()
            model.loss(data).backward()
            grads.append([p.grad.clone() for p in model.parameters() if p.grad is not None])
        assert all(torch.equal(a, b) for other in grads[1:] for a, b in zip(grads[0], other))
    finally:
        torch.set_num_threads(threads)
