"""Multi-class N-pair loss (Sohn 2016)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphcl.losses._checks import check_non_negative, check_pair


def n_pair_loss(z1: Tensor, z2: Tensor, *, l2_reg: float = 0.0, symmetric: bool = False) -> Tensor:
    r"""N-pair-mc loss of `Sohn 2016 <https://papers.nips.cc/paper/6200>`_.

    For anchors :math:`f_i` (``z1``) and positives :math:`f_i^+` (``z2``), the other positives serve as
    negatives: :math:`\log\left(1 + \sum_{j \ne i} \exp(f_i^\top f_j^+ - f_i^\top f_i^+)\right)`, averaged.
    Raw inner products, no temperature, as in the paper; the paper keeps embedding norms small with an L2
    penalty, ``l2_reg`` times the mean squared norm of all embeddings.

    Args:
        z1 (Tensor): anchors ``[B, d]``.
        z2 (Tensor): positives ``[B, d]``.
        l2_reg (float, optional): weight of the embedding-norm penalty (default: ``0.0``).
        symmetric (bool, optional): also use ``z2`` as anchors (default: ``False``).

    Returns:
        Tensor: scalar loss.
    """
    l2_reg = check_non_negative("l2_reg", l2_reg)
    check_pair(z1, z2)
    if z1.size(0) < 2:
        raise ValueError("the N-pair loss needs at least 2 pairs")
    target = torch.arange(z1.size(0), device=z1.device)
    # log(1 + sum_j exp(l_j - l_i)) = logsumexp_j(l_j) - l_i over all j including i: a cross-entropy
    loss = F.cross_entropy(z1 @ z2.t(), target)
    if symmetric:
        loss = 0.5 * (loss + F.cross_entropy(z2 @ z1.t(), target))
    if l2_reg > 0:
        loss = loss + l2_reg * 0.5 * (z1.pow(2).sum(dim=1).mean() + z2.pow(2).sum(dim=1).mean())
    return loss


class NPairLoss(nn.Module):
    """Module form of :func:`n_pair_loss`."""

    def __init__(self, l2_reg: float = 0.0, symmetric: bool = False) -> None:
        super().__init__()
        self.l2_reg = check_non_negative("l2_reg", l2_reg)
        self.symmetric = bool(symmetric)

    def forward(self, z1: Tensor, z2: Tensor) -> Tensor:
        return n_pair_loss(z1, z2, l2_reg=self.l2_reg, symmetric=self.symmetric)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(l2_reg={self.l2_reg}, symmetric={self.symmetric})"
