"""Positives-only regression losses: BYOL / BGRL (Grill et al. 2020; Thakoor et al. 2022) and SimSiam
(Chen & He 2021). Both stop the gradient through the target."""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from graphcl.losses._checks import check_pair


def byol_loss(prediction: Tensor, target: Tensor) -> Tensor:
    r"""BYOL's normalised regression loss :math:`2 - 2\cos(p, z)`, averaged over rows.

    `Grill et al. 2020 <https://arxiv.org/abs/2006.07733>`_. ``target`` is detached (the target network
    gets no gradient). Ranges from ``0`` (aligned) to ``4``; symmetrise by calling it with the views swapped.

    Args:
        prediction (Tensor): online predictions ``[B, d]``.
        target (Tensor): target projections ``[B, d]``.

    Returns:
        Tensor: scalar loss.
    """
    check_pair(prediction, target)
    cosine = F.cosine_similarity(prediction, target.detach(), dim=1)
    return (2 - 2 * cosine).mean()


def simsiam_loss(prediction: Tensor, target: Tensor) -> Tensor:
    r"""SimSiam's negative cosine similarity :math:`-\cos(p, \mathrm{stopgrad}(z))`, averaged over rows.

    `Chen & He 2021 <https://arxiv.org/abs/2011.10566>`_. Ranges from ``-1`` (aligned) to ``1``.

    Args:
        prediction (Tensor): predictor outputs ``[B, d]``.
        target (Tensor): projections of the other view ``[B, d]`` (detached here).

    Returns:
        Tensor: scalar loss.
    """
    check_pair(prediction, target)
    return -F.cosine_similarity(prediction, target.detach(), dim=1).mean()


class BYOLLoss(nn.Module):
    """Module form of :func:`byol_loss`."""

    def forward(self, prediction: Tensor, target: Tensor) -> Tensor:
        return byol_loss(prediction, target)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class SimSiamLoss(nn.Module):
    """Module form of :func:`simsiam_loss`."""

    def forward(self, prediction: Tensor, target: Tensor) -> Tensor:
        return simsiam_loss(prediction, target)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"
