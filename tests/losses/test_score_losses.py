import math

import pytest
import torch

from graphcl.losses import BCEContrastiveLoss, JensenShannonLoss, bce_contrastive_loss, jensen_shannon_loss
import loss_reference as reference


@pytest.mark.parametrize("num_pos,num_neg", [(1, 1), (5, 5), (7, 20)])
@pytest.mark.parametrize("scale", [0.1, 3.0])
def test_bce_matches_reference(num_pos, num_neg, scale):
    generator = torch.Generator().manual_seed(num_pos + num_neg)
    pos = scale * torch.randn(num_pos, generator=generator)
    neg = scale * torch.randn(num_neg, generator=generator)
    assert float(bce_contrastive_loss(pos, neg)) == pytest.approx(reference.bce(pos, neg), abs=1e-5)
    assert float(BCEContrastiveLoss()(pos, neg)) == pytest.approx(reference.bce(pos, neg), abs=1e-5)


@pytest.mark.parametrize("num_pos,num_neg", [(1, 1), (5, 5), (7, 20)])
@pytest.mark.parametrize("scale", [0.1, 3.0])
def test_jensen_shannon_matches_reference(num_pos, num_neg, scale):
    generator = torch.Generator().manual_seed(num_pos * num_neg)
    pos = scale * torch.randn(num_pos, 1, generator=generator)
    neg = scale * torch.randn(num_neg, generator=generator)
    expected = reference.jensen_shannon(pos, neg)
    assert float(jensen_shannon_loss(pos, neg)) == pytest.approx(expected, abs=1e-5)
    assert float(JensenShannonLoss()(pos, neg)) == pytest.approx(expected, abs=1e-5)


def test_large_logits_stay_finite_with_gradients():
    pos = torch.tensor([200.0, -200.0, 50.0], requires_grad=True)
    neg = torch.tensor([-300.0, 300.0], requires_grad=True)
    for fn in (bce_contrastive_loss, jensen_shannon_loss):
        loss = fn(pos, neg)
        assert math.isfinite(loss.item())
        (grad_pos, grad_neg) = torch.autograd.grad(loss, (pos, neg))
        assert torch.isfinite(grad_pos).all() and torch.isfinite(grad_neg).all()
    # a perfect discriminator drives BCE to 0 and the JSD loss to its minimum -2 log 2
    perfect_pos, perfect_neg = torch.full((4,), 60.0), torch.full((4,), -60.0)
    assert float(bce_contrastive_loss(perfect_pos, perfect_neg)) == pytest.approx(0.0, abs=1e-6)
    assert float(jensen_shannon_loss(perfect_pos, perfect_neg)) == pytest.approx(-2 * math.log(2), abs=1e-6)


def test_jensen_shannon_is_bce_with_separate_means_minus_constant():
    pos, neg = torch.randn(6), torch.randn(6)
    # equal counts: one BCE over both equals the average of the two per-class means
    assert float(jensen_shannon_loss(pos, neg)) == pytest.approx(
        2 * float(bce_contrastive_loss(pos, neg)) - 2 * math.log(2), abs=1e-5)


def test_bad_input_raises():
    with pytest.raises(ValueError, match="empty"):
        bce_contrastive_loss(torch.zeros(0), torch.zeros(3))
    with pytest.raises(TypeError, match="floating"):
        jensen_shannon_loss(torch.ones(3, dtype=torch.long), torch.zeros(3))
    with pytest.raises(TypeError, match="Tensor"):
        bce_contrastive_loss([1.0], torch.zeros(3))
    assert repr(BCEContrastiveLoss()) == "BCEContrastiveLoss()"
