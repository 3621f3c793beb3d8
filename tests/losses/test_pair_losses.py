"""Margin, triplet, N-pair, debiased and hard-negative losses against loop references."""
import math

import pytest
import torch

import loss_reference as reference
from graphcl.losses import (
    DebiasedContrastiveLoss,
    HardNegativeContrastiveLoss,
    MarginContrastiveLoss,
    NPairLoss,
    NTXentLoss,
    TripletLoss,
    debiased_contrastive_loss,
    hard_negative_contrastive_loss,
    margin_contrastive_loss,
    n_pair_loss,
    nt_xent_loss,
    triplet_loss,
)

BATCHES = [2, 5, 16]
DIMS = [3, 32]


def _views(batch, dim, seed=0, noise=None):
    generator = torch.Generator().manual_seed(seed)
    z1 = torch.randn(batch, dim, generator=generator)
    z2 = torch.randn(batch, dim, generator=generator)
    if noise is not None:  # correlated views, as augmentations give
        z2 = z1 + noise * z2
    return z1, z2


def _assert_close(value, expected):
    assert float(value) == pytest.approx(expected, abs=1e-5, rel=1e-5)


def _assert_finite_gradients(fn, z1, z2, **kwargs):
    z1 = z1.clone().requires_grad_(True)
    z2 = z2.clone().requires_grad_(True)
    loss = fn(z1, z2, **kwargs)
    assert loss.dim() == 0
    loss.backward()
    assert torch.isfinite(z1.grad).all() and torch.isfinite(z2.grad).all()


@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("temperature", [0.1, 0.5, 1.0])
@pytest.mark.parametrize("tau_plus", [0.0, 0.1, 0.3])
@pytest.mark.parametrize("noise", [None, 0.1])
def test_debiased_matches_reference(batch, dim, temperature, tau_plus, noise):
    z1, z2 = _views(batch, dim, seed=batch + dim, noise=noise)
    expected = reference.debiased(z1, z2, temperature, tau_plus)
    _assert_close(debiased_contrastive_loss(z1, z2, temperature, tau_plus), expected)
    _assert_finite_gradients(debiased_contrastive_loss, z1, z2, temperature=temperature, tau_plus=tau_plus)


@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("temperature", [0.1, 0.5, 1.0])
@pytest.mark.parametrize("beta", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("noise", [None, 0.1])
def test_hard_negative_matches_reference(batch, dim, temperature, beta, noise):
    z1, z2 = _views(batch, dim, seed=batch * dim, noise=noise)
    expected = reference.debiased(z1, z2, temperature, 0.1, beta)
    _assert_close(hard_negative_contrastive_loss(z1, z2, temperature, 0.1, beta), expected)
    _assert_finite_gradients(hard_negative_contrastive_loss, z1, z2, temperature=temperature, beta=beta)


def test_debiased_clamp_is_reached_and_covered():
    # near-identical views and a large class prior push the corrected negative sum below its floor
    z1, z2 = _views(4, 8, noise=0.01)
    expected = reference.debiased(z1, z2, 0.5, 0.6)
    _assert_close(debiased_contrastive_loss(z1, z2, 0.5, 0.6), expected)
    _assert_finite_gradients(debiased_contrastive_loss, z1, z2, temperature=0.5, tau_plus=0.6)
    # the floor alone: log(1 + N e^{-1/t} / e^{1}) once every positive is exact and every negative removed
    identical = z1.clone()
    floor_loss = math.log(1 + 6 * math.exp(-2.0) / math.exp(2.0))
    assert float(debiased_contrastive_loss(identical, identical, 0.5, 0.99)) == pytest.approx(floor_loss, rel=1e-5)


def test_small_temperature_stays_finite():
    z1, z2 = _views(8, 16, noise=0.05)
    for fn in (debiased_contrastive_loss, hard_negative_contrastive_loss):
        assert math.isfinite(float(fn(z1, z2, temperature=0.01)))
        _assert_finite_gradients(fn, z1, z2, temperature=0.01)


def test_zero_prior_and_beta_give_simclr_without_positive_in_denominator():
    # tau+ = 0 and beta = 0: -log(pos / (pos + sum neg)) = SimCLR's NT-Xent
    z1, z2 = _views(6, 8)
    _assert_close(hard_negative_contrastive_loss(z1, z2, 0.5, 0.0, 0.0), float(nt_xent_loss(z1, z2, 0.5)))


@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("margin", [0.5, 1.0, 3.0])
@pytest.mark.parametrize("normalize", [True, False])
def test_margin_contrastive_matches_reference(batch, dim, margin, normalize):
    z1, z2 = _views(batch, dim, seed=batch + 7 * dim, noise=0.5)
    expected = reference.margin_contrastive(z1, z2, margin, normalize=normalize)
    _assert_close(margin_contrastive_loss(z1, z2, margin, normalize=normalize), expected)
    labels = torch.arange(batch) % 2
    expected = reference.margin_contrastive(z1, z2, margin, labels, normalize)
    _assert_close(margin_contrastive_loss(z1, z2, margin, pair_labels=labels, normalize=normalize), expected)
    _assert_finite_gradients(margin_contrastive_loss, z1, z2, margin=margin, normalize=normalize)
    # identical points: the distance has an infinite slope at 0, the loss must not
    _assert_finite_gradients(margin_contrastive_loss, z1, z1, margin=margin, pair_labels=labels)


@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("margin", [0.2, 1.0])
@pytest.mark.parametrize("mining", ["all", "hard", "semi-hard"])
@pytest.mark.parametrize("squared", [True, False])
def test_triplet_matches_reference(batch, dim, margin, mining, squared):
    z1, z2 = _views(batch, dim, seed=batch * 3 + dim, noise=0.7)
    kwargs = dict(mining=mining, squared=squared)
    _assert_close(triplet_loss(z1, z2, margin, **kwargs), reference.triplet(z1, z2, margin, **kwargs))
    _assert_close(triplet_loss(z1, z2, margin, symmetric=False, normalize=False, **kwargs),
                  reference.triplet(z1, z2, margin, symmetric=False, normalize=False, **kwargs))
    negatives = torch.randn(3, dim, generator=torch.Generator().manual_seed(5))
    _assert_close(triplet_loss(z1, z2, margin, negatives=negatives, **kwargs),
                  reference.triplet(z1, z2, margin, negatives=negatives, **kwargs))
    _assert_finite_gradients(triplet_loss, z1, z2, margin=margin, **kwargs)


@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("scale", [0.1, 1.0])
@pytest.mark.parametrize("symmetric", [False, True])
def test_n_pair_matches_reference(batch, dim, scale, symmetric):
    z1, z2 = _views(batch, dim, seed=batch + dim, noise=1.0)
    z1, z2 = scale * z1, scale * z2
    _assert_close(n_pair_loss(z1, z2, symmetric=symmetric), reference.n_pair(z1, z2, symmetric=symmetric))
    _assert_close(n_pair_loss(z1, z2, l2_reg=0.01, symmetric=symmetric),
                  reference.n_pair(z1, z2, l2_reg=0.01, symmetric=symmetric))
    _assert_finite_gradients(n_pair_loss, z1, z2, symmetric=symmetric)


@pytest.mark.parametrize("factory", [
    lambda: NTXentLoss(0.2),
    lambda: NTXentLoss(0.2, exclude_positive=True),
    lambda: DebiasedContrastiveLoss(0.5, 0.1),
    lambda: HardNegativeContrastiveLoss(0.5, 0.1, 1.0),
    lambda: MarginContrastiveLoss(1.0),
    lambda: TripletLoss(0.2, mining="semi-hard"),
    lambda: NPairLoss(),
])
def test_two_view_losses_share_one_call_and_prefer_aligned_views(factory):
    loss = factory()
    z1, z2 = _views(16, 32)
    aligned = loss(z1, z1 + 0.01 * z2)
    unrelated = loss(z1, z2)
    assert aligned.dim() == 0 and unrelated.dim() == 0
    assert aligned < unrelated
    assert repr(loss).startswith(type(loss).__name__ + "(")


def test_modules_match_functions():
    z1, z2 = _views(5, 4)
    assert torch.equal(DebiasedContrastiveLoss(0.3, 0.2)(z1, z2), debiased_contrastive_loss(z1, z2, 0.3, 0.2))
    assert torch.equal(HardNegativeContrastiveLoss(0.3, 0.2, 0.5)(z1, z2),
                       hard_negative_contrastive_loss(z1, z2, 0.3, 0.2, 0.5))
    assert torch.equal(TripletLoss(0.3, "hard")(z1, z2), triplet_loss(z1, z2, 0.3, mining="hard"))
    assert torch.equal(MarginContrastiveLoss(2.0)(z1, z2), margin_contrastive_loss(z1, z2, 2.0))
    assert torch.equal(NPairLoss(0.1)(z1, z2), n_pair_loss(z1, z2, l2_reg=0.1))
    assert repr(HardNegativeContrastiveLoss()) == "HardNegativeContrastiveLoss(temperature=0.5, tau_plus=0.1, beta=1.0)"


@pytest.mark.parametrize("make", [
    lambda: DebiasedContrastiveLoss(temperature=0),
    lambda: DebiasedContrastiveLoss(tau_plus=1.0),
    lambda: DebiasedContrastiveLoss(tau_plus=-0.1),
    lambda: HardNegativeContrastiveLoss(beta=-1),
    lambda: HardNegativeContrastiveLoss(temperature=float("nan")),
    lambda: MarginContrastiveLoss(margin=0),
    lambda: TripletLoss(margin=-0.2),
    lambda: TripletLoss(mining="hardest"),
    lambda: NPairLoss(l2_reg=-1),
])
def test_invalid_hyperparameters_raise_value_error(make):
    with pytest.raises(ValueError):
        make()


def test_bad_inputs_raise():
    z1, z2 = _views(4, 3)
    with pytest.raises(ValueError, match="at least 2"):
        debiased_contrastive_loss(z1[:1], z2[:1])
    with pytest.raises(ValueError, match="pair_labels"):
        margin_contrastive_loss(z1, z2, pair_labels=torch.tensor([0, 1, 2, 1]))
    with pytest.raises(ValueError, match="same shape"):
        triplet_loss(z1, z2[:, :2])
    with pytest.raises(ValueError, match="at least 2"):
        n_pair_loss(z1[:1], z2[:1])
    with pytest.raises(TypeError, match="number"):
        hard_negative_contrastive_loss(z1, z2, beta="1")
