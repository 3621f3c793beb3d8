"""BGRL / GraphBGRL, SimSiam and MoCo on small synthetic graphs."""
import math

import pytest
import torch
from torch_geometric.data import Batch
from torch_geometric.datasets import FakeDataset

from graphcl.methods import BGRL, GraphBGRL, MoCo, SimSiam
from graphcl.methods.byol import cosine_momentum, momentum_update
from graphcl.nn.gin import GINEncoder


def _batch(num_graphs=12, seed=0):
    torch.manual_seed(seed)
    dataset = FakeDataset(num_graphs=num_graphs, avg_num_nodes=10, avg_degree=3, num_channels=5, num_classes=2)
    return Batch.from_data_list([dataset[i] for i in range(num_graphs)])


def _encoder():
    return GINEncoder(5, hidden_channels=16, num_layers=2)


def _train(method, batch, steps, lr=0.01):
    optimizer = torch.optim.Adam([p for p in method.parameters() if p.requires_grad], lr=lr)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = method.loss(batch)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def _params(module):
    return torch.cat([p.detach().flatten() for p in module.parameters()])


def test_cosine_momentum_schedule():
    assert cosine_momentum(0.99, 0, 100) == pytest.approx(0.99)
    assert cosine_momentum(0.99, 50, 100) == pytest.approx(0.995)
    assert cosine_momentum(0.99, 100, 100) == pytest.approx(1.0)
    assert cosine_momentum(0.99, 7, None) == 0.99


def test_momentum_update_is_exponential_moving_average():
    online, target = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    before = _params(target)
    momentum_update(target, online, 0.9)
    assert torch.allclose(_params(target), 0.9 * before + 0.1 * _params(online))
    momentum_update(target, online, 0.0)
    assert torch.equal(_params(target), _params(online))


def test_graph_bgrl_trains_online_and_follows_with_target():
    torch.manual_seed(0)
    batch = _batch()
    method = GraphBGRL(_encoder(), hidden_channels=32, momentum=0.9, total_steps=10,
                       generator=torch.Generator().manual_seed(1))
    assert all(not p.requires_grad for p in method.target_encoder.parameters())
    start_target = _params(method.target_encoder)
    losses = _train(method, batch, 6)
    assert all(math.isfinite(v) and 0 <= v <= 8 for v in losses)
    assert int(method.step) == 6
    target, online = _params(method.target_encoder), _params(method.encoder)
    assert not torch.equal(target, start_target)  # the target moved ...
    assert not torch.equal(target, online)        # ... but only part of the way
    assert (target - online).norm() < (start_target - online).norm()
    embeddings = method.embed(batch)
    assert embeddings.shape == (12, 32) and method.training
    assert torch.equal(embeddings, method.embed(batch))


def test_graph_bgrl_loss_in_eval_mode_leaves_target_alone():
    method = GraphBGRL(_encoder(), hidden_channels=8)
    method.eval()
    before = _params(method.target_encoder)
    with torch.no_grad():
        method.loss(_batch())
    assert torch.equal(before, _params(method.target_encoder)) and int(method.step) == 0


def test_node_bgrl_on_node_embeddings():
    torch.manual_seed(0)
    batch = _batch(num_graphs=3)
    method = BGRL(_encoder(), hidden_channels=16, generator=torch.Generator().manual_seed(0))
    losses = _train(method, batch, 5)
    assert all(math.isfinite(v) for v in losses)
    assert method.embed(batch).shape == (batch.num_nodes, 32)
    with pytest.raises(ValueError, match="edge_drop_p"):
        BGRL(_encoder(), edge_drop_p=(0.2,))
    with pytest.raises(ValueError, match="edge_drop_p"):
        BGRL(_encoder(), edge_drop_p=(0.2, 1.5))
    with pytest.raises(ValueError, match="momentum"):
        GraphBGRL(_encoder(), momentum=1.5)


def test_simsiam_loss_range_and_training():
    torch.manual_seed(0)
    batch = _batch()
    method = SimSiam(_encoder(), generator=torch.Generator().manual_seed(0))
    losses = _train(method, batch, 8)
    assert all(-1 <= v <= 1 for v in losses)
    assert losses[-1] < losses[0]
    assert method.embed(batch).shape == (12, 32)
    assert repr(method).startswith("SimSiam(encoder=GINEncoder")


def test_moco_fills_queue_and_updates_key_encoder():
    torch.manual_seed(0)
    batch = _batch()
    method = MoCo(_encoder(), queue_size=30, momentum=0.5, generator=torch.Generator().manual_seed(0))
    assert len(method.queue) == 0
    losses = _train(method, batch, 4)
    assert all(math.isfinite(v) for v in losses)
    assert len(method.queue) == 30  # 4 batches of 12 keys, capped at 30
    keys = method.queue()
    assert torch.allclose(keys.norm(dim=1), torch.ones(30), atol=1e-5)
    assert not torch.equal(_params(method.key_encoder), _params(method.encoder))
    assert all(not p.requires_grad for p in method.key_projection.parameters())
    assert method.embed(batch).shape == (12, 32)
    state = method.state_dict()
    assert "queue.keys" in state and any(name.startswith("key_encoder.") for name in state)


def test_methods_reject_bad_configuration():
    with pytest.raises(ValueError, match="augmentation"):
        GraphBGRL(_encoder(), augmentation="nonsense")
    with pytest.raises(ValueError, match="temperature"):
        MoCo(_encoder(), temperature=0)
    with pytest.raises(ValueError, match="size"):
        MoCo(_encoder(), queue_size=0)
    with pytest.raises(TypeError, match="out_channels"):
        SimSiam(torch.nn.Linear(3, 3))


def test_predictor_can_be_dropped_for_the_collapse_ablation():
    method = GraphBGRL(_encoder(), momentum=0.0, use_predictor=False)
    assert isinstance(method.predictor, torch.nn.Identity)
    losses = _train(method, _batch(), 2)
    assert all(math.isfinite(v) for v in losses)
    assert method.config["use_predictor"] is False
