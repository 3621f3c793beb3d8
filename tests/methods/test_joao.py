import itertools

import pytest
import torch
from torch_geometric.data import Batch, Data
from torch_geometric.loader import DataLoader

from graphcl.methods.joao import JOAO, AugmentationPairDistribution, JOAOv2, project_simplex
from graphcl.nn.gin import GINEncoder


def _dataset(num_graphs=16, seed=0):
    generator = torch.Generator().manual_seed(seed)
    graphs = []
    for index in range(num_graphs):
        n = int(torch.randint(5, 9, (1,), generator=generator))
        edge_index = torch.randint(0, n, (2, 2 * n), generator=generator)
        graphs.append(Data(x=torch.rand(n, 3, generator=generator),
                           edge_index=torch.cat([edge_index, edge_index.flip(0)], 1), y=torch.tensor([index % 2])))
    return graphs


def _brute_force_projection(v, steps=601):
    """Minimise ||p - v|| over a fine grid of the 3-simplex."""
    grid = torch.linspace(0, 1, steps, dtype=torch.float64)
    a, b = torch.meshgrid(grid, grid, indexing="ij")
    candidates = torch.stack([a, b, 1 - a - b], dim=-1).reshape(-1, 3)
    candidates = candidates[candidates[:, 2] >= -1e-12]
    return candidates[((candidates - v) ** 2).sum(1).argmin()]


@pytest.mark.parametrize("values", [[0.2, 0.3, 0.5], [1.0, 2.0, 3.0], [-1.0, 0.1, 0.2], [0.9, 0.05, -0.4],
                                    [5.0, 5.0, 5.0]])
def test_projection_matches_brute_force(values):
    v = torch.tensor(values, dtype=torch.float64)
    p = project_simplex(v)
    assert float(p.sum()) == pytest.approx(1.0) and bool((p >= 0).all())
    assert torch.allclose(p, _brute_force_projection(v), atol=3e-3)


def test_projection_known_cases_and_random_invariants():
    assert torch.allclose(project_simplex(torch.tensor([0.1, 0.6, 0.3])), torch.tensor([0.1, 0.6, 0.3]))
    assert torch.allclose(project_simplex(torch.tensor([3.0, 0.0, 0.0])), torch.tensor([1.0, 0.0, 0.0]))
    assert torch.allclose(project_simplex(torch.tensor([1.0, 1.0])), torch.tensor([0.5, 0.5]))
    generator = torch.Generator().manual_seed(0)
    for _ in range(50):
        v = torch.randn(25, generator=generator, dtype=torch.float64) * 3
        p = project_simplex(v)
        assert float(p.sum()) == pytest.approx(1.0) and bool((p >= 0).all())
        # optimality: (v - p) . (q - p) <= 0 for every vertex q of the simplex
        for k in range(25):
            q = torch.zeros(25, dtype=torch.float64)
            q[k] = 1
            assert float((v - p) @ (q - p)) <= 1e-9
    with pytest.raises(ValueError, match="NaN"):
        project_simplex(torch.tensor([float("nan"), 1.0]))


def test_distribution_starts_uniform_and_moves_toward_high_loss_pairs():
    dist = AugmentationPairDistribution()
    assert dist.probs.shape == (25,) and torch.allclose(dist.probs, torch.full((25,), 1 / 25, dtype=torch.float64))
    losses = torch.full((25,), 1.0)
    losses[7] = 1.05
    losses[3] = 0.98
    probs = dist.update(losses)
    assert float(probs.sum()) == pytest.approx(1.0)
    assert probs[7] > 1 / 25 > probs[3]
    # equal losses leave p where it is; gamma pulls an uneven p back toward uniform
    before = dist.probs.clone()
    dist.update(torch.ones(25))
    assert torch.all((dist.probs - 1 / 25).abs() <= (before - 1 / 25).abs() + 1e-12)
    with pytest.raises(ValueError, match="25"):
        dist.update(torch.ones(24))


def test_distribution_sampling_follows_probs():
    dist = AugmentationPairDistribution(("a", "b"))
    dist.probs.copy_(torch.tensor([0.0, 1.0, 0.0, 0.0], dtype=torch.float64))
    generator = torch.Generator().manual_seed(0)
    assert {dist.sample(generator) for _ in range(20)} == {(0, 1)}
    assert dist.pair_names() == ["a+a", "a+b", "b+a", "b+b"]


def test_on_epoch_end_updates_and_logs_the_distribution():
    torch.manual_seed(0)
    model = JOAO(GINEncoder(3, 8, 2), generator=torch.Generator().manual_seed(0))
    buffers = {k: v.clone() for k, v in model.encoder.named_buffers()}
    loader = DataLoader(_dataset(16), batch_size=8)
    record = model.on_epoch_end(loader)
    assert len(record["pair_losses"]) == 25 and len(record["aug_probs"]) == 25
    assert sum(record["aug_probs"]) == pytest.approx(1.0)
    assert len(model.probs_history) == 2 and model.probs_history[-1] == record["aug_probs"]
    assert model.probs_history[-1] != model.probs_history[0]
    # the estimate does not disturb batch-norm statistics
    assert all(torch.equal(buffers[k], v) for k, v in model.encoder.named_buffers())
    # probs are saved with the model
    assert torch.equal(model.state_dict()["distribution.probs"], model.distribution.probs)


def test_joao_loss_uses_a_sampled_pair_and_trains():
    torch.manual_seed(0)
    model = JOAO(GINEncoder(3, 8, 2), generator=torch.Generator().manual_seed(0))
    batch = Batch.from_data_list(_dataset(8))
    loss = model.loss(batch)
    loss.backward()
    assert torch.isfinite(loss)
    assert any(p.grad is not None for p in model.encoder.parameters())


def test_joaov2_selects_the_head_of_each_views_augmentation():
    torch.manual_seed(0)
    model = JOAOv2(GINEncoder(3, 8, 2))
    assert len(model.projections) == 5
    assert all(model.head(i) is model.projections[i] for i in range(5))
    batch = Batch.from_data_list(_dataset(8))
    for i, j in itertools.product([1, 3], repeat=2):
        model.zero_grad()
        model.pair_loss(batch, (i, j)).backward()
        used = {k for k, head in enumerate(model.projections)
                if any(p.grad is not None and p.grad.abs().sum() > 0 for p in head.parameters())}
        assert used == {i, j}
    plain = JOAO(GINEncoder(3, 8, 2))
    assert plain.head(0) is plain.head(4) is plain.projection


def test_bad_arguments():
    with pytest.raises(ValueError, match="gamma"):
        AugmentationPairDistribution(gamma=-1)
    with pytest.raises(ValueError, match="estimate_fraction"):
        JOAO(GINEncoder(3), estimate_fraction=0)
    with pytest.raises(ValueError, match="unknown augmentation"):
        JOAO(GINEncoder(3), augmentations=("node_drop", "rotate"))
