"""GRACE: loss against a loop over GRACE's formula, views, settings, training."""
import math

import pytest
import torch
import torch.nn.functional as F
from torch_geometric.data import Data

from graphcl.augment import mask_attributes
from graphcl.data.synthetic import sbm_graph
from graphcl.losses import NTXentLoss
from graphcl.methods import GRACE, GRACEView, build_grace, grace_settings, train_full_batch
from graphcl.nn import GCNEncoder


def grace_reference(z1: torch.Tensor, z2: torch.Tensor, tau: float) -> float:
    """The paper's loss, one term at a time: for anchor u_i the denominator holds the positive, the other
    nodes of the other view (inter-view) and the other nodes of its own view (intra-view); both directions."""
    def cos(a, b):
        return float(a @ b) / (float(a.norm()) * float(b.norm()))

    n = z1.size(0)
    total = 0.0
    for anchor_view, other_view in ((z1, z2), (z2, z1)):
        for i in range(n):
            positive = math.exp(cos(anchor_view[i], other_view[i]) / tau)
            denominator = positive
            for k in range(n):
                if k != i:
                    denominator += math.exp(cos(anchor_view[i], other_view[k]) / tau)
                    denominator += math.exp(cos(anchor_view[i], anchor_view[k]) / tau)
            total += -math.log(positive / denominator)
    return total / (2 * n)


@pytest.mark.parametrize("tau", [0.4, 0.9])
def test_default_loss_is_grace_formula(tau):
    g = torch.Generator().manual_seed(0)
    z1, z2 = torch.randn(7, 5, generator=g, dtype=torch.float64), torch.randn(7, 5, generator=g, dtype=torch.float64)
    assert float(NTXentLoss(temperature=tau)(z1, z2)) == pytest.approx(grace_reference(z1, z2, tau), rel=1e-10)


def small_graph():
    data = sbm_graph(40, num_features=12, num_val=10, seed=2)
    data.x = data.x.abs()
    return data


def test_method_loss_with_identity_views_matches_reference():
    data = small_graph()
    torch.manual_seed(0)
    model = GRACE(GCNEncoder(12, 16, num_layers=2, out_channels=8, activation="relu"),
                  GRACEView(0.0, 0.0), GRACEView(0.0, 0.0), projection_channels=6, tau=0.5)
    loss = model.loss(data)
    h = model.encoder(data.x, data.edge_index).node
    z = model.projector.mlp[2](F.elu(model.projector.mlp[0](h)))  # Linear -> ELU -> Linear
    assert isinstance(model.projector.mlp[1], torch.nn.ELU)
    expected = grace_reference(z.detach().double(), z.detach().double(), 0.5)
    assert float(loss) == pytest.approx(expected, rel=1e-5)


def test_views_drop_edges_and_mask_columns():
    data = small_graph()
    view = GRACEView(0.5, 0.25)(data, torch.Generator().manual_seed(1))
    assert view.edge_index.size(1) == data.edge_index.size(1) // 2
    masked = (view.x == 0).all(0) & ~(data.x == 0).all(0)
    zero_columns = (view.x == 0).all(0)
    assert int(zero_columns.sum()) >= 3  # round(0.25 * 12) columns zeroed in every node
    assert bool(((view.x == data.x) | (view.x == 0)).all())
    assert int(masked.sum()) <= 3


def test_column_masking_per_graph_by_hand():
    x = torch.arange(1, 25, dtype=torch.float32).view(4, 6)
    data = Data(x=x, edge_index=torch.empty(2, 0, dtype=torch.long))
    out = mask_attributes(data, 0.5, columns=True, generator=torch.Generator().manual_seed(0))
    zero = out.x == 0
    assert int(zero.all(0).sum()) == 3 and bool((zero.any(0) == zero.all(0)).all())
    kept = ~zero.all(0)
    assert torch.equal(out.x[:, kept], x[:, kept])


def test_official_settings_and_builder():
    cora = grace_settings("Cora")
    assert (cora.lr, cora.hidden_channels, cora.tau, cora.edge_p, cora.feature_p, cora.epochs) == \
        (5e-4, 128, 0.4, (0.2, 0.4), (0.3, 0.4), 200)
    assert grace_settings("citeseer").activation == "prelu"
    model = build_grace(12, "citeseer")
    assert model.encoder.out_channels == 256 and model.encoder.weights[0].shape == (12, 512)
    assert model.config["view2"] == {"class": "GRACEView", "edge_p": 0.0, "feature_p": 0.2}
    with pytest.raises(ValueError, match="no official"):
        grace_settings("Reddit")


def test_training_lowers_the_loss_and_is_seeded():
    data = small_graph()
    losses = []
    for _ in range(2):
        torch.manual_seed(0)
        model = GRACE(GCNEncoder(12, 16, num_layers=2, out_channels=8), GRACEView(0.2, 0.2), GRACEView(0.3, 0.1),
                      tau=0.5, generator=torch.Generator().manual_seed(3))
        result = train_full_batch(model, data, epochs=30, lr=0.01, patience=None, progress=False,
                                  restore_best=False)
        losses.append(result.losses)
    assert losses[0] == losses[1]
    assert sum(losses[0][-5:]) < sum(losses[0][:5])
    assert model.embed(data).shape == (40, 8)


def test_independent_sampling_draws_every_directed_edge_and_column_on_its_own():
    """The official draw: Bernoulli per stored edge and per column, replayed here from the same generator."""
    data = sbm_graph(num_nodes=60, num_classes=3, num_features=40, generator=torch.Generator().manual_seed(1))
    data.x = data.x + 1.0  # no zero column before masking
    view = GRACEView(0.3, 0.25, sampling="independent")
    out = view(data, torch.Generator().manual_seed(7))
    replay = torch.Generator().manual_seed(7)
    keep = torch.rand(data.edge_index.size(1), generator=replay) >= 0.3
    dropped = torch.rand(data.x.size(1), generator=replay) < 0.25
    assert torch.equal(out.edge_index, data.edge_index[:, keep])
    assert torch.equal(out.x[:, dropped], torch.zeros(data.num_nodes, int(dropped.sum())))
    assert torch.equal(out.x[:, ~dropped], data.x[:, ~dropped])
    pairs = {tuple(e) for e in out.edge_index.t().tolist()}
    assert any((j, i) not in pairs for i, j in pairs)  # directions are dropped separately
    model = build_grace(40, "cora", generator=torch.Generator().manual_seed(0), sampling="independent")
    assert model.view1.sampling == model.view2.sampling == "independent" and "sampling" in model.view1.config
    with pytest.raises(ValueError, match="sampling"):
        GRACEView(0.2, 0.2, sampling="bernoulli")
