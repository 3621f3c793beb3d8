"""Binary cross-entropy on discriminator logits (DGI, Veličković et al. 2019)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def _check_logits(name: str, logits: Tensor) -> Tensor:
    if not isinstance(logits, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(logits).__name__}")
    if not logits.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {logits.dtype}")
    if logits.numel() == 0:
        raise ValueError(f"{name} is empty")
    return logits.reshape(-1)


def bce_contrastive_loss(pos_logits: Tensor, neg_logits: Tensor) -> Tensor:
    r"""DGI's objective: binary cross-entropy with positive pairs labelled 1 and negative pairs 0.

    Computed as one binary cross-entropy over all logits (as
    `DGI <https://arxiv.org/abs/1809.10341>`_ does with ``BCEWithLogitsLoss``), i.e.
    :math:`\frac{1}{P+N}\left(\sum_p \mathrm{softplus}(-p) + \sum_n \mathrm{softplus}(n)\right)`,
    stable for large logits.

    Args:
        pos_logits (Tensor): discriminator logits of positive pairs, any shape (``P`` values).
        neg_logits (Tensor): discriminator logits of negative pairs, any shape (``N`` values).

    Returns:
        Tensor: scalar loss (lower is better).
    """
    pos = _check_logits("pos_logits", pos_logits)
    neg = _check_logits("neg_logits", neg_logits)
    logits = torch.cat([pos, neg])
    target = torch.cat([torch.ones_like(pos), torch.zeros_like(neg)])
    return F.binary_cross_entropy_with_logits(logits, target)


class BCEContrastiveLoss(nn.Module):
    """Module form of :func:`bce_contrastive_loss` (DGI)."""

    def forward(self, pos_logits: Tensor, neg_logits: Tensor) -> Tensor:
        return bce_contrastive_loss(pos_logits, neg_logits)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"
