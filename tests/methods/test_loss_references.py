"""Every method's loss against an independent reference computed on a small seeded batch.

The references below are written from the papers' formulas with explicit loops and dense float64 tensors:
heads are evaluated from their weights by hand, NT-Xent / InfoNCE / BYOL / SimSiam by loops over anchors.
Only the encoder is called as a black box (its own layer references live in ``tests/nn``).

To control the augmentation randomness the methods are given *deterministic* transforms (``Tag``: a fixed
shift of the node features, so a view tells which transform produced it); the JOAO pair distribution is set
by hand. Where the public API changes (e.g. augmentations passed to the constructor), only the small
``with_transforms`` helper needs to follow.
"""
from __future__ import annotations

import copy
import math

import pytest
import torch
from torch import nn
from torch_geometric.data import Batch, Data
from torch_geometric.loader import DataLoader

from graphcl.augment import drop_nodes
from graphcl.methods.bgrl import BGRL, GraphBGRL, mask_feature_columns
from graphcl.methods.graphcl_graph import GraphCL
from graphcl.methods.joao import JOAO, JOAOv2
from graphcl.methods.mocl import MoCL
from graphcl.methods.moco import MoCo
from graphcl.methods.simsiam import SimSiam
from graphcl.nn import GINEncoder

TOL = dict(rel=1e-5, abs=1e-6)


# ----------------------------------------------------------------------------------------------- fixtures
def small_graphs(num_graphs: int = 6, seed: int = 0) -> list[Data]:
    generator = torch.Generator().manual_seed(seed)
    graphs = []
    for index in range(num_graphs):
        n = 3 + index % 3
        ring = torch.arange(n)
        edge_index = torch.stack([ring, (ring + 1) % n])
        graphs.append(Data(x=torch.rand(n, 3, generator=generator),
                           edge_index=torch.cat([edge_index, edge_index.flip(0)], 1),
                           smiles=f"C{'C' * index}O"))
    return graphs


def small_batch(num_graphs: int = 6, seed: int = 0) -> Batch:
    return Batch.from_data_list(small_graphs(num_graphs, seed))


def encoder(seed: int = 0) -> GINEncoder:
    torch.manual_seed(seed)
    return GINEncoder(3, hidden_channels=8, num_layers=2, batch_norm=False)


class Tag:
    """Deterministic augmentation: node features shifted by ``shift`` (per node, hence per graph)."""

    def __init__(self, shift: float) -> None:
        self.shift = shift

    def __call__(self, data: Data) -> Data:
        out = data.clone()
        out.x = data.x + self.shift
        return out


class Counter:
    """Deterministic but call-dependent augmentation: the ``k``-th call shifts features by ``k``."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, data: Data) -> Data:
        self.calls += 1
        out = data.clone()
        out.x = data.x + self.calls
        return out


def with_transforms(model: nn.Module, transforms) -> nn.Module:
    """Give ``model`` these augmentation callables (today's public way: replace ``model.transforms``)."""
    model.transforms = list(transforms)
    return model


# ---------------------------------------------------------------------------------------------- references
def linear(x: torch.Tensor, layer: nn.Linear) -> torch.Tensor:
    return x @ layer.weight.double().t() + layer.bias.double()


def mlp_head(x: torch.Tensor, head: nn.Sequential) -> torch.Tensor:
    """Linear-ReLU-Linear evaluated from the weights."""
    return linear(torch.relu(linear(x.double(), head[0])), head[2])


def batch_norm_train(x: torch.Tensor, norm: nn.BatchNorm1d) -> torch.Tensor:
    """Batch norm with the batch's own (biased) statistics, as in training mode."""
    mean = x.mean(0)
    var = ((x - mean) ** 2).mean(0)
    return (x - mean) / torch.sqrt(var + norm.eps) * norm.weight.double() + norm.bias.double()


def cos(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a.double(), b.double()
    return float(a @ b / (a.norm() * b.norm()))


def nt_xent_graphcl(z1, z2, temperature: float) -> float:
    """Official GraphCL loss: anchors of view 1, positive on the diagonal, denominator without it."""
    n = z1.size(0)
    total = 0.0
    for i in range(n):
        positive = math.exp(cos(z1[i], z2[i]) / temperature)
        negatives = sum(math.exp(cos(z1[i], z2[j]) / temperature) for j in range(n) if j != i)
        total += -math.log(positive / negatives)
    return total / n


def info_nce(query, key, negatives, temperature: float) -> float:
    """MoCo: ``-log e^{q.k+/T} / (e^{q.k+/T} + sum_n e^{q.n/T})`` over cosine similarities."""
    total = 0.0
    for i in range(query.size(0)):
        positive = math.exp(cos(query[i], key[i]) / temperature)
        rest = sum(math.exp(cos(query[i], n) / temperature) for n in negatives)
        total += -math.log(positive / (positive + rest))
    return total / query.size(0)


def value(loss: torch.Tensor) -> float:
    return float(loss.detach())


def graph_embeddings(model_encoder: nn.Module, data: Data) -> torch.Tensor:
    with torch.no_grad():
        return model_encoder(data).graph.double()


def graphs_of(view: Batch) -> list[Data]:
    """Node features of every graph of a view, in order (works on merged batches without ``to_data_list``)."""
    return [view.x[view.batch == g] for g in range(int(view.batch.max()) + 1)]


# ----------------------------------------------------------------------------------------------- GraphCL
@pytest.mark.parametrize("augment_both", [False, True])
def test_graphcl_loss_is_nt_xent_of_projected_views(augment_both):
    data = small_batch()
    model = with_transforms(GraphCL(encoder(), augment_both=augment_both, temperature=0.3), [Counter()])
    loss = value(model.loss(data))
    # views: the graph itself (official TU code) or a first augmented copy; then the next augmented copy
    first = Counter()(data) if augment_both else data
    second = Counter()(Counter()(data)) if augment_both else Counter()(data)
    z1 = mlp_head(graph_embeddings(model.encoder, first), model.projection)
    z2 = mlp_head(graph_embeddings(model.encoder, second), model.projection)
    assert loss == pytest.approx(nt_xent_graphcl(z1, z2, 0.3), **TOL)


def test_graphcl_draws_one_transform_per_graph_and_keeps_graph_order():
    data = small_batch(8)
    transforms = [Tag(10.0), Tag(20.0), Tag(30.0)]
    model = with_transforms(GraphCL(encoder(), temperature=0.5,
                                    generator=torch.Generator().manual_seed(3)), transforms)
    first, second = model.views(data)
    assert first is data
    chosen = []
    for graph, x in zip(data.to_data_list(), graphs_of(second)):
        matches = [k for k, t in enumerate(transforms) if torch.equal(x, t(graph).x)]
        assert len(matches) == 1, "graph i of the view must be transform(graph i)"
        chosen.append(matches[0])
    assert len(set(chosen)) > 1, "the augmentation must be drawn per graph, not once per batch"

    # the loss on a fresh draw from the same seed equals the reference on the views re-derived from it
    model.generator.manual_seed(3)
    loss = value(model.loss(data))
    reference_second = Batch.from_data_list([transforms[k](g) for k, g in zip(chosen, data.to_data_list())])
    z1 = mlp_head(graph_embeddings(model.encoder, data), model.projection)
    z2 = mlp_head(graph_embeddings(model.encoder, reference_second), model.projection)
    assert loss == pytest.approx(nt_xent_graphcl(z1, z2, 0.5), **TOL)


def test_graphcl_named_augmentation_views_follow_the_generator():
    """With one named augmentation, the two views (``augment_both``) are two successive draws of it."""
    data = small_batch()
    model = GraphCL(encoder(), augmentation="dnodes", p=0.3, augment_both=True,
                    generator=torch.Generator().manual_seed(7))
    loss = value(model.loss(data))
    generator = torch.Generator().manual_seed(7)
    first = drop_nodes(data, 0.3, generator=generator)
    second = drop_nodes(data, 0.3, generator=generator)
    assert not torch.equal(first.x, second.x)
    z1 = mlp_head(graph_embeddings(model.encoder, first), model.projection)
    z2 = mlp_head(graph_embeddings(model.encoder, second), model.projection)
    assert loss == pytest.approx(nt_xent_graphcl(z1, z2, model.config["temperature"]), **TOL)


# -------------------------------------------------------------------------------------------------- JOAO
def joao_with_tags(cls=JOAO, **kwargs):
    model = cls(encoder(), augmentations=("node_drop", "subgraph", "identity"), temperature=0.4, **kwargs)
    return with_transforms(model, [Tag(1.0), Tag(2.0), Tag(3.0)])


def heads_of(model, i, j):
    if isinstance(model, JOAOv2):
        return model.projections[i], model.projections[j]
    return model.projection, model.projection


@pytest.mark.parametrize("cls", [JOAO, JOAOv2])
def test_joao_loss_uses_the_sampled_pair_and_its_heads(cls):
    data = small_batch()
    model = joao_with_tags(cls, generator=torch.Generator().manual_seed(0))
    expected = {}
    for i, j in [(2, 0), (1, 1)]:
        head_i, head_j = heads_of(model, i, j)
        z1 = mlp_head(graph_embeddings(model.encoder, Tag(i + 1.0)(data)), head_i)
        z2 = mlp_head(graph_embeddings(model.encoder, Tag(j + 1.0)(data)), head_j)
        expected[(i, j)] = nt_xent_graphcl(z1, z2, 0.4)
    # all mass on the pair (2, 0): view 1 through transform 2, view 2 through transform 0
    model.distribution.probs.zero_()
    model.distribution.probs[2 * 3 + 0] = 1.0
    assert value(model.loss(data)) == pytest.approx(expected[(2, 0)], **TOL)
    # half on (2, 0), half on (1, 1): every loss is one of the two and both pairs are drawn
    model.distribution.probs[1 * 3 + 1] = 1.0
    model.distribution.probs /= 2
    seen = set()
    for _ in range(12):
        loss = value(model.loss(data))
        pair = [p for p, value in expected.items() if value == pytest.approx(loss, **TOL)]
        assert len(pair) == 1
        seen.add(pair[0])
    assert seen == set(expected)


def test_joao_update_is_the_projected_ascent_step_by_hand():
    """p <- Pi(p + beta (l - gamma (p - 1/K))), K = 4, worked out by hand (sort-based simplex projection)."""
    model = JOAO(encoder(), augmentations=("node_drop", "identity"), gamma=0.1, beta=1.0)
    dist = model.distribution
    # step = [0.25 + 1.0, 0.25 + 0.5, 0.25 + 0.2, 0.25 + 0.1] = [1.25, 0.75, 0.45, 0.35]
    # sorted u, (cumsum - 1) / rank: 1.25 - 0.25 > 0, 0.75 - 1.0/2 > 0, 0.45 - 1.45/3 < 0 -> rho = 2,
    # threshold 0.5 -> [0.75, 0.25, 0, 0]
    new = dist.update([1.0, 0.5, 0.2, 0.1])
    assert new.tolist() == pytest.approx([0.75, 0.25, 0.0, 0.0], abs=1e-12)
    dist.gamma, dist.beta = 0.2, 0.5
    # step = p + 0.5 (l - 0.2 (p - 0.25)) = [0.75, 0.35, 0.175, 0.225]; every entry stays in the support:
    # threshold (0.75 + 0.35 + 0.225 + 0.175 - 1) / 4 = 0.125 -> [0.625, 0.225, 0.05, 0.1]
    new = dist.update([0.1, 0.2, 0.3, 0.4])
    assert new.tolist() == pytest.approx([0.625, 0.225, 0.05, 0.1], abs=1e-12)
    assert torch.equal(dist.probs, new)


def simplex_by_bisection(v: torch.Tensor) -> torch.Tensor:
    """Projection onto the simplex as max(v - theta, 0) with sum 1, theta found by bisection."""
    low, high = float(v.min()) - 1.0, float(v.max())
    for _ in range(200):
        theta = (low + high) / 2
        if float(torch.clamp(v - theta, min=0).sum()) > 1:
            low = theta
        else:
            high = theta
    return torch.clamp(v - (low + high) / 2, min=0)


@pytest.mark.parametrize("cls", [JOAO, JOAOv2])
def test_joao_epoch_end_estimates_every_pair_and_takes_the_step(cls):
    graphs = small_graphs(10)
    loader = DataLoader(graphs, batch_size=4)  # batches of 4, 4, 2 graphs
    model = joao_with_tags(cls, gamma=0.3, beta=0.7, estimate_fraction=1.0)
    before = torch.arange(1, 10, dtype=torch.float64) / 45  # not uniform, so the pull to 1/K matters
    model.distribution.probs.copy_(before)
    out = model.on_epoch_end(loader)
    # every pair's loss: mean over graphs of the per-batch NT-Xent, views through transforms i and j
    reference = torch.zeros(9, dtype=torch.float64)
    for batch in loader:
        for index in range(9):
            i, j = divmod(index, 3)
            head_i, head_j = heads_of(model, i, j)
            z1 = mlp_head(graph_embeddings(model.encoder, Tag(i + 1.0)(batch)), head_i)
            z2 = mlp_head(graph_embeddings(model.encoder, Tag(j + 1.0)(batch)), head_j)
            reference[index] += nt_xent_graphcl(z1, z2, 0.4) * batch.num_graphs
    reference /= len(graphs)
    assert out["pair_losses"] == pytest.approx(reference.tolist(), **TOL)
    step = before + 0.7 * (reference - 0.3 * (before - 1.0 / 9))
    assert out["aug_probs"] == pytest.approx(simplex_by_bisection(step).tolist(), abs=1e-5)
    assert model.probs_history[-1] == out["aug_probs"]


# -------------------------------------------------------------------------------------------------- MoCL
class RecordingGlobalLoss(nn.Module):
    """A stand-in global term, ``mean(z^2)``, that records what it is given."""

    def forward(self, z, smiles):
        self.seen = (z.detach().clone(), list(smiles))
        return (z ** 2).mean()


def test_mocl_loss_is_local_plus_lambda_global_on_the_unaugmented_batch():
    data = small_batch()
    global_loss = RecordingGlobalLoss()
    model = MoCL(encoder(), Counter(), global_loss=global_loss, lam=0.7, temperature=0.5,
                 projection_channels=(16, 8))
    loss = value(model.loss(data))
    first, second = Counter()(data), Counter()(Counter()(data))
    z1 = mlp_head(graph_embeddings(model.encoder, first), model.projection)
    z2 = mlp_head(graph_embeddings(model.encoder, second), model.projection)
    local = (nt_xent_graphcl(z1, z2, 0.5) + nt_xent_graphcl(z2, z1, 0.5)) / 2  # symmetric
    z = mlp_head(graph_embeddings(model.encoder, data), model.projection)
    assert torch.allclose(global_loss.seen[0].double(), z, atol=1e-6)
    assert global_loss.seen[1] == data.smiles
    assert loss == pytest.approx(local + 0.7 * float((z ** 2).mean()), **TOL)
    model.lam = 0.0
    first_call = Counter()
    model.substitution = first_call
    assert value(model.loss(data)) == pytest.approx(local, **TOL)


# -------------------------------------------------------------------------------------------------- MoCo
def test_moco_loss_is_info_nce_against_the_queue_in_enqueue_order():
    batches = [small_batch(4, seed) for seed in range(3)]
    momentum, temperature = 0.9, 0.3
    model = with_transforms(MoCo(encoder(), augment_both=True, queue_size=6, momentum=momentum,
                                 temperature=temperature), [Counter()])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    online = copy.deepcopy(model.encoder), copy.deepcopy(model.projection)
    key_state = [{k: v.clone() for k, v in m.state_dict().items()} for m in online]
    calls = 0
    stored = []  # every key ever enqueued, in order
    for step, data in enumerate(batches):
        # reference key network: EMA of the online weights as they are before this step's loss
        key_state = [{k: momentum * old[k] + (1 - momentum) * v for k, v in m.state_dict().items()}
                     for old, m in zip(key_state, (model.encoder, model.projection))]
        key_encoder, key_projection = copy.deepcopy(model.encoder), copy.deepcopy(model.projection)
        key_encoder.load_state_dict(key_state[0])
        key_projection.load_state_dict(key_state[1])
        first, second = data.clone(), data.clone()
        first.x, second.x = data.x + calls + 1, data.x + calls + 2
        calls += 2
        query = mlp_head(graph_embeddings(model.encoder, first), model.projection)
        key = mlp_head(graph_embeddings(key_encoder, second), key_projection)
        key = key / key.norm(dim=1, keepdim=True)
        if stored:
            negatives = torch.cat(stored)[-6:]
            expected = info_nce(query, key, negatives, temperature)
        else:  # empty queue: the other keys of the batch are the negatives
            expected = sum(-math.log(math.exp(cos(query[i], key[i]) / temperature)
                                     / sum(math.exp(cos(query[i], k) / temperature) for k in key))
                           for i in range(len(key))) / len(key)
        loss = model.loss(data)
        assert value(loss) == pytest.approx(expected, **TOL), f"step {step}"
        stored.append(key)
        # the queue holds the last 6 keys, oldest first
        assert torch.allclose(model.queue().double(), torch.cat(stored)[-6:], atol=1e-6)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert len(model.queue) == 6


# ----------------------------------------------------------------------------------------- BGRL, SimSiam
def predictor_by_hand(x: torch.Tensor, head: nn.Sequential) -> torch.Tensor:
    """BYOL/BGRL predictor Linear-BN-PReLU-Linear in training mode."""
    h = batch_norm_train(linear(x, head[0]), head[1])
    slope = head[2].weight.double()
    return linear(torch.where(h > 0, h, slope * h), head[3])


def byol(prediction, target) -> float:
    return sum(2 - 2 * cos(p, t) for p, t in zip(prediction, target)) / len(prediction)


def test_graph_bgrl_loss_and_target_update_by_hand():
    batches = [small_batch(5, seed) for seed in range(2)]
    momentum = 0.8
    model = with_transforms(GraphBGRL(encoder(), hidden_channels=6, momentum=momentum), [Counter()])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    target_state = {k: v.clone() for k, v in model.encoder.state_dict().items()}
    calls = 0
    for step, data in enumerate(batches):
        if step > 0:  # the target follows the online encoder from the second step on
            target_state = {k: momentum * target_state[k] + (1 - momentum) * v
                            for k, v in model.encoder.state_dict().items()}
        target = copy.deepcopy(model.encoder)
        target.load_state_dict(target_state)
        first, second = data.clone(), data.clone()
        first.x, second.x = data.x + calls + 1, data.x + calls + 2
        calls += 2
        p1 = predictor_by_hand(graph_embeddings(model.encoder, first), model.predictor)
        p2 = predictor_by_hand(graph_embeddings(model.encoder, second), model.predictor)
        t1, t2 = graph_embeddings(target, first), graph_embeddings(target, second)
        loss = model.loss(data)
        assert value(loss) == pytest.approx(byol(p1, t2) + byol(p2, t1), **TOL), f"step {step}"
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    for key, weight in model.target_encoder.state_dict().items():
        assert torch.allclose(weight, target_state[key].to(weight.dtype), atol=1e-6), key


def test_simsiam_loss_and_stop_gradient_by_hand():
    data = small_batch(6)
    torch.manual_seed(0)
    model = with_transforms(SimSiam(encoder(), out_channels=8), [Counter()])
    loss = model.loss(data)
    loss.backward()
    # reference with autograd through hand-written heads; the targets are cut from the graph
    reference_encoder = copy.deepcopy(model.encoder)
    reference_encoder.zero_grad()

    def project(x):
        h = torch.relu(batch_norm_train(linear(x, model.projector[0]), model.projector[1]))
        return batch_norm_train(linear(h, model.projector[3]), model.projector[4])

    def predict(z):
        h = torch.relu(batch_norm_train(linear(z, model.predictor[0]), model.predictor[1]))
        return linear(h, model.predictor[3])

    z1 = project(reference_encoder(Counter()(data)).graph.double())
    z2 = project(reference_encoder(Counter()(Counter()(data))).graph.double())
    p1, p2 = predict(z1), predict(z2)

    def negative_cosine(p, z):
        z = z.detach()
        return -(sum((p[i] @ z[i]) / (p[i].norm() * z[i].norm()) for i in range(len(p))) / len(p))

    expected = 0.5 * (negative_cosine(p1, z2) + negative_cosine(p2, z1))
    assert value(loss) == pytest.approx(float(expected), **TOL)
    expected.backward()
    for (name, got), reference in zip(model.encoder.named_parameters(), reference_encoder.parameters()):
        assert torch.allclose(got.grad.double(), reference.grad.double(), atol=1e-6), name


def test_node_bgrl_loss_by_hand_on_deterministic_views():
    """Node-level BGRL with view 1 = the graph, view 2 = the graph without edges (drop rate 1): the loss
    is BYOL's 2 - 2 cos between online predictions and target node embeddings of the other view."""
    data = small_graphs(1)[0]
    model = BGRL(encoder(), hidden_channels=6, edge_drop_p=(0.0, 1.0), feature_mask_p=(0.0, 0.0))
    first, second = model.views(data)
    assert torch.equal(first.edge_index, data.edge_index) and second.edge_index.numel() == 0
    loss = value(model.loss(data))
    without_edges = data.clone()
    without_edges.edge_index = data.edge_index[:, :0]
    with torch.no_grad():
        h1 = model.encoder(data).node.double()
        h2 = model.encoder(without_edges).node.double()
    p1, p2 = predictor_by_hand(h1, model.predictor), predictor_by_hand(h2, model.predictor)
    # the target starts as a copy of the online encoder
    assert loss == pytest.approx(byol(p1, h2) + byol(p2, h1), **TOL)


def test_bgrl_feature_masking_zeroes_whole_columns():
    data = small_batch(6)
    generator = torch.Generator().manual_seed(0)
    rates = []
    for _ in range(200):
        out = mask_feature_columns(data, 0.4, generator)
        zero = (out.x == 0).all(0)
        assert torch.equal(out.x[:, ~zero], data.x[:, ~zero])  # the other columns are untouched
        rates.append(float(zero.double().mean()))
    assert sum(rates) / len(rates) == pytest.approx(0.4, abs=0.05)
