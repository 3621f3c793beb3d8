import pytest
import torch

from graphcl.losses import NTXentLoss, nt_xent_loss
import loss_reference as reference


def _views(batch, dim, seed=0):
    generator = torch.Generator().manual_seed(seed)
    z1 = torch.randn(batch, dim, generator=generator)
    z2 = torch.randn(batch, dim, generator=generator)
    return z1, z2


@pytest.mark.parametrize("batch", [2, 5, 16])
@pytest.mark.parametrize("dim", [3, 32])
@pytest.mark.parametrize("temperature", [0.1, 0.5, 1.0])
def test_simclr_form_matches_reference(batch, dim, temperature):
    z1, z2 = _views(batch, dim)
    expected = reference.nt_xent_simclr(z1, z2, temperature)
    assert float(nt_xent_loss(z1, z2, temperature)) == pytest.approx(expected, abs=1e-5, rel=1e-5)
    one_way = reference.nt_xent_simclr(z1, z2, temperature, symmetric=False)
    assert float(nt_xent_loss(z1, z2, temperature, symmetric=False)) == pytest.approx(one_way, abs=1e-5,
                                                                                      rel=1e-5)


@pytest.mark.parametrize("batch", [2, 5, 16])
@pytest.mark.parametrize("dim", [3, 32])
@pytest.mark.parametrize("temperature", [0.1, 0.2, 1.0])
def test_graphcl_form_matches_official_formula(batch, dim, temperature):
    z1, z2 = _views(batch, dim, seed=1)
    expected = reference.nt_xent_graphcl(z1, z2, temperature)
    got = nt_xent_loss(z1, z2, temperature, exclude_positive=True)
    assert float(got) == pytest.approx(expected, abs=1e-5, rel=1e-5)
    both = reference.nt_xent_graphcl(z1, z2, temperature, symmetric=True)
    got = nt_xent_loss(z1, z2, temperature, exclude_positive=True, symmetric=True)
    assert float(got) == pytest.approx(both, abs=1e-5, rel=1e-5)


@pytest.mark.parametrize("exclude_positive", [False, True])
@pytest.mark.parametrize("num_negatives", [1, 7])
def test_extra_negatives_match_reference(exclude_positive, num_negatives):
    z1, z2 = _views(6, 8, seed=2)
    negatives = torch.randn(num_negatives, 8, generator=torch.Generator().manual_seed(3))
    fn = reference.nt_xent_graphcl if exclude_positive else reference.nt_xent_simclr
    expected = fn(z1, z2, 0.3, negatives=negatives)
    got = nt_xent_loss(z1, z2, 0.3, exclude_positive, negatives=negatives)
    assert float(got) == pytest.approx(expected, abs=1e-5, rel=1e-5)


def test_single_pair_with_queue_only():
    z1, z2 = _views(1, 4)
    negatives = torch.randn(3, 4)
    expected = reference.nt_xent_graphcl(z1, z2, 0.5, negatives=negatives)
    assert float(nt_xent_loss(z1, z2, 0.5, True, negatives=negatives)) == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize("exclude_positive", [False, True])
def test_finite_gradients_and_scale_invariance(exclude_positive):
    z1, z2 = _views(8, 16)
    z1.requires_grad_(True)
    z2.requires_grad_(True)
    loss = nt_xent_loss(z1, z2, 0.05, exclude_positive)
    loss.backward()
    assert torch.isfinite(z1.grad).all() and torch.isfinite(z2.grad).all()
    assert z1.grad.abs().sum() > 0
    # cosine similarity: rescaling rows does not change the loss
    scaled = nt_xent_loss(3.0 * z1.detach(), 0.5 * z2.detach(), 0.05, exclude_positive)
    assert float(scaled) == pytest.approx(loss.item(), rel=1e-5)


def test_aligned_views_score_lower_than_random():
    z1, z2 = _views(16, 32)
    aligned = nt_xent_loss(z1, z1 + 0.01 * z2)
    random = nt_xent_loss(z1, z2)
    assert aligned < random


def test_module_matches_function_and_repr():
    z1, z2 = _views(4, 8)
    module = NTXentLoss(temperature=0.2, exclude_positive=True)
    assert torch.equal(module(z1, z2), nt_xent_loss(z1, z2, 0.2, exclude_positive=True))
    assert repr(module) == "NTXentLoss(temperature=0.2, exclude_positive=True)"


def test_bad_input_raises():
    z1, z2 = _views(4, 8)
    with pytest.raises(ValueError, match="temperature"):
        NTXentLoss(temperature=0.0)
    with pytest.raises(ValueError, match="temperature"):
        nt_xent_loss(z1, z2, temperature=-1.0)
    with pytest.raises(ValueError, match="same shape"):
        nt_xent_loss(z1, z2[:3])
    with pytest.raises(ValueError, match="shape"):
        nt_xent_loss(z1[0], z2[0])
    with pytest.raises(ValueError, match="at least 2"):
        nt_xent_loss(z1[:1], z2[:1])
    with pytest.raises(ValueError, match="dimension"):
        nt_xent_loss(z1, z2, negatives=torch.randn(3, 5))
    with pytest.raises(TypeError, match="floating"):
        nt_xent_loss(z1.long(), z2.long())
