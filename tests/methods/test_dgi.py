import math

import pytest
import torch
from torch import nn
from torch_geometric.data import Batch, Data
from torch_geometric.utils import stochastic_blockmodel_graph

from graphcl.losses import bce_contrastive_loss, jensen_shannon_loss
from graphcl.methods import DGI, train_full_batch
from graphcl.methods.dgi import row_permutation
from graphcl.nn import GINEncoder


def sbm_graph(seed=0, blocks=(30, 30, 30), num_features=24):
    """Three communities; each has its own feature pattern plus noise."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    edge_index = stochastic_blockmodel_graph(list(blocks), [[0.3, 0.02, 0.02], [0.02, 0.3, 0.02],
                                                              [0.02, 0.02, 0.3]])
    y = torch.repeat_interleave(torch.arange(len(blocks)), torch.tensor(blocks))
    centres = torch.rand(len(blocks), num_features, generator=g)
    x = (centres[y] + 0.3 * torch.rand(len(y), num_features, generator=g) > 0.9).float()
    return Data(x=x, edge_index=edge_index, y=y)


def test_loss_is_dgi_with_shuffled_features():
    torch.manual_seed(0)
    data = sbm_graph()
    model = DGI(24, 16, generator=torch.Generator().manual_seed(5))
    loss = model.loss(data)
    perm = torch.randperm(data.num_nodes, generator=torch.Generator().manual_seed(5))
    positive = model.encoder(data.x, data.edge_index).node
    negative = model.encoder(data.x[perm], data.edge_index).node
    summary = torch.sigmoid(positive.mean(0))
    pos = torch.stack([h @ model.discriminator.weight @ summary for h in positive]) + model.discriminator.bias
    neg = torch.stack([h @ model.discriminator.weight @ summary for h in negative]) + model.discriminator.bias
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.cat([pos, neg]), torch.cat([torch.ones(90), torch.zeros(90)]))
    torch.testing.assert_close(loss, expected)


def test_loss_decreases_on_sbm_graph():
    torch.manual_seed(0)
    data = sbm_graph()
    model = DGI(24, 32, generator=torch.Generator().manual_seed(0))
    result = train_full_batch(model, data, epochs=40, lr=0.01, patience=None, progress=False)
    assert result.epochs == 40 and not result.stopped_early
    assert result.losses[0] == pytest.approx(math.log(2), abs=0.05)
    assert min(result.losses[-5:]) < 0.5 * result.losses[0]


def test_embed_is_frozen_and_shaped():
    data = sbm_graph()
    model = DGI(24, 16)
    model.train()
    z = model.embed(data)
    assert z.shape == (90, 16) and not z.requires_grad and model.training


def test_same_seed_same_numbers():
    def run():
        torch.manual_seed(3)
        model = DGI(24, 16, generator=torch.Generator().manual_seed(3))
        result = train_full_batch(model, sbm_graph(), epochs=15, patience=None, progress=False)
        return result.losses, model.embed(sbm_graph())

    (losses_a, z_a), (losses_b, z_b) = run(), run()
    assert losses_a == losses_b and torch.equal(z_a, z_b)


class ScriptedLoss(nn.Module):
    """Loss values follow a script; the gradient (1 for the parameter) makes Adam move it every step."""

    def __init__(self, values):
        super().__init__()
        self.values = list(values)
        self.weight = nn.Parameter(torch.zeros(1))
        self.calls = 0

    def loss(self, data):
        value = self.values[self.calls]
        self.calls += 1
        return (self.weight - self.weight.detach()).sum() + value + 0 * self.weight.sum()


def test_early_stopping_restores_best_weights():
    values = [5.0, 4.0, 3.0, 1.0, 2.0, 2.5, 3.0, 2.0, 9.0, 9.0]
    method = ScriptedLoss(values)
    data = Data(x=torch.zeros(2, 1))
    result = train_full_batch(method, data, epochs=10, lr=0.1, patience=3, progress=False)
    # best at epoch 3; epochs 4, 5, 6 do not improve -> stop at epoch 6 before its update
    assert result.best_epoch == 3 and result.best_loss == 1.0
    assert result.epochs == 7 and result.stopped_early
    # the weights that produced the best loss: after 3 Adam steps of size lr with a constant gradient
    assert method.weight.item() == pytest.approx(-0.3, abs=1e-4)


def test_pluggable_loss_and_repr():
    model = DGI(24, 16, loss=jensen_shannon_loss, readout="mean")
    assert torch.isfinite(model.loss(sbm_graph()))
    assert repr(model) == "DGI(24, 16, num_layers=1, readout='mean')"
    assert DGI(24, 16).loss_fn is bce_contrastive_loss


def test_batch_keeps_shuffle_inside_graphs():
    batch = Batch.from_data_list([sbm_graph(0), sbm_graph(1, blocks=(10, 10, 10))])
    perm = row_permutation(batch, torch.Generator().manual_seed(0))
    assert torch.equal(batch.batch[perm], batch.batch)
    assert sorted(perm.tolist()) == list(range(batch.num_nodes))
    model = DGI(24, 16)
    assert torch.isfinite(model.loss(batch))


def test_bad_inputs():
    model = DGI(24, 16)
    with pytest.raises(ValueError, match="shape"):
        model.loss(Data(x=torch.zeros(5, 3), edge_index=torch.empty(2, 0, dtype=torch.long)))
    with pytest.raises(ValueError, match="no node features"):
        model.loss(Data(edge_index=torch.empty(2, 0, dtype=torch.long), num_nodes=4))
    data = sbm_graph()
    data.x[0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        train_full_batch(model, data, epochs=2, progress=False)
    with pytest.raises(ValueError, match="NaN"):
        model.embed(data)
    with pytest.raises(ValueError):
        train_full_batch(model, sbm_graph(), epochs=0, progress=False)


def test_any_node_encoder_gives_the_dgi_loss():
    """DGI with a GIN encoder: the loss is BCE of the bilinear scores of real vs row-shuffled nodes."""
    torch.manual_seed(0)
    data = sbm_graph()
    encoder = GINEncoder(24, 16, num_layers=2)
    model = DGI(encoder, generator=torch.Generator().manual_seed(5))
    loss = model.loss(data)
    perm = torch.randperm(data.num_nodes, generator=torch.Generator().manual_seed(5))
    positive = encoder(data).node
    negative = encoder(Data(x=data.x[perm], edge_index=data.edge_index)).node
    summary = torch.sigmoid(positive.mean(0))
    weight, bias = model.discriminator.weight, model.discriminator.bias
    pos = torch.stack([h @ weight @ summary for h in positive]) + bias
    neg = torch.stack([h @ weight @ summary for h in negative]) + bias
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.cat([pos, neg]), torch.cat([torch.ones(90), torch.zeros(90)]))
    torch.testing.assert_close(loss, expected)
    assert model.embed(data).shape == (90, encoder.out_channels)
    assert model.config["encoder"]["class"] == "GINEncoder"
