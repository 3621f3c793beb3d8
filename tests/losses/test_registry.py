import pytest
import torch

import loss_reference as reference
from graphcl.losses import (
    TWO_VIEW_LOSSES,
    CrossViewScoreLoss,
    cross_view_scores,
    jensen_shannon_loss,
    make_two_view_loss,
)


@pytest.mark.parametrize("name", sorted(TWO_VIEW_LOSSES))
def test_every_registered_loss_is_a_two_view_loss(name):
    loss = make_two_view_loss(name)
    z1 = torch.randn(6, 8, requires_grad=True)
    z2 = torch.randn(6, 8, requires_grad=True)
    value = loss(z1, z2)
    assert value.dim() == 0 and torch.isfinite(value)
    value.backward()
    assert torch.isfinite(z1.grad).all() and z1.grad.abs().sum() > 0


def test_keyword_arguments_reach_the_loss():
    assert make_two_view_loss("nt_xent_graphcl", temperature=0.2).exclude_positive
    assert make_two_view_loss("debiased", tau_plus=0.3).tau_plus == 0.3
    with pytest.raises(ValueError, match="unknown loss"):
        make_two_view_loss("infonce++")
    with pytest.raises(ValueError, match="temperature"):
        make_two_view_loss("hard_negative", temperature=-1.0)


def test_cross_view_scores_and_score_loss():
    z1, z2 = torch.randn(4, 3), torch.randn(4, 3)
    positive, negative = cross_view_scores(z1, z2)
    assert positive.shape == (4,) and negative.shape == (12,)
    expected_negative = [float(z1[i] @ z2[j]) for i in range(4) for j in range(4) if i != j]
    assert negative.tolist() == pytest.approx(expected_negative, abs=1e-6)
    loss = CrossViewScoreLoss(jensen_shannon_loss)
    assert float(loss(z1, z2)) == pytest.approx(reference.jensen_shannon(positive, negative), abs=1e-5)
    assert repr(loss) == "CrossViewScoreLoss(jensen_shannon_loss, normalize=False)"
    with pytest.raises(ValueError, match="at least 2"):
        cross_view_scores(z1[:1], z2[:1])
