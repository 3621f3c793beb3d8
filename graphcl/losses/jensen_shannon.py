"""Jensen-Shannon mutual-information estimator (f-GAN, Nowozin et al. 2016; InfoGraph, Sun et al. 2020)."""
from __future__ import annotations

import math

import torch.nn.functional as F
from torch import Tensor, nn

from graphcl.losses.binary_cross_entropy import _check_logits

_LOG2 = math.log(2.0)


def jensen_shannon_loss(pos_scores: Tensor, neg_scores: Tensor) -> Tensor:
    r"""Negative Jensen-Shannon MI estimate, as in `InfoGraph <https://arxiv.org/abs/1908.01000>`_.

    :math:`\mathbb{E}_{neg}[\mathrm{softplus}(n) - \log 2] - \mathbb{E}_{pos}[\log 2 - \mathrm{softplus}(-p)]`.
    Lower is better; the minimum is :math:`-2\log 2`. Up to that constant it equals the binary
    cross-entropy with positives and negatives averaged separately.

    Args:
        pos_scores (Tensor): scores of positive pairs, any shape.
        neg_scores (Tensor): scores of negative pairs, any shape.

    Returns:
        Tensor: scalar loss.
    """
    pos = _check_logits("pos_scores", pos_scores)
    neg = _check_logits("neg_scores", neg_scores)
    expected_pos = _LOG2 - F.softplus(-pos)
    expected_neg = F.softplus(neg) - _LOG2
    return expected_neg.mean() - expected_pos.mean()


class JensenShannonLoss(nn.Module):
    """Module form of :func:`jensen_shannon_loss`."""

    def forward(self, pos_scores: Tensor, neg_scores: Tensor) -> Tensor:
        return jensen_shannon_loss(pos_scores, neg_scores)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"
