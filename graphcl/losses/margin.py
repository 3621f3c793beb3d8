"""Pair losses on distances: margin contrastive (Chopra et al. 2005), triplet (Schroff et al. 2015)."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphcl.losses._checks import check_negatives, check_pair, check_positive
from graphcl.losses._pairs import pairwise_distances

_MINING = ("all", "hard", "semi-hard")


def margin_contrastive_loss(
    z1: Tensor,
    z2: Tensor,
    margin: float = 1.0,
    *,
    pair_labels: Optional[Tensor] = None,
    normalize: bool = True,
) -> Tensor:
    r"""Margin contrastive loss of `Chopra, Hadsell & LeCun 2005 <https://doi.org/10.1109/CVPR.2005.202>`_.

    Per pair at Euclidean distance :math:`D`: :math:`\frac12 D^2` for a similar pair and
    :math:`\frac12 \max(0, m - D)^2` for a dissimilar one.

    * With ``pair_labels`` (``[B]``, 1 = similar, 0 = dissimilar), rows ``i`` of ``z1`` and ``z2`` form the
      ``B`` given pairs and the loss is their mean (the siamese setting).
    * Without, the two-view setting: ``(z1[i], z2[i])`` are the similar pairs, ``(z1[i], z2[j])`` for
      ``j != i`` the dissimilar ones; the loss is mean over similar pairs + mean over dissimilar pairs.

    Args:
        z1 (Tensor): ``[B, d]``.
        z2 (Tensor): ``[B, d]``.
        margin (float, optional): margin :math:`m > 0` (default: ``1.0``).
        pair_labels (Tensor, optional): ``[B]`` pair labels (default: ``None``).
        normalize (bool, optional): L2-normalise the embeddings first, so distances lie in ``[0, 2]``
            (default: ``True``; the paper uses raw outputs).

    Returns:
        Tensor: scalar loss.
    """
    margin = check_positive("margin", margin)
    check_pair(z1, z2)
    if normalize:
        z1, z2 = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    if pair_labels is not None:
        if not isinstance(pair_labels, Tensor) or pair_labels.shape != (z1.size(0),):
            raise ValueError(f"pair_labels must be a tensor of shape [{z1.size(0)}]")
        if not bool(((pair_labels == 0) | (pair_labels == 1)).all()):
            raise ValueError("pair_labels must hold 1 (similar pair) or 0 (dissimilar pair)")
        similar = pair_labels.to(z1.dtype)
        distance2 = (z1 - z2).pow(2).sum(dim=1)
        distance = distance2.clamp_min(1e-12).sqrt()
        per_pair = similar * distance2 + (1 - similar) * F.relu(margin - distance).pow(2)
        return 0.5 * per_pair.mean()
    if z1.size(0) < 2:
        raise ValueError("the two-view margin contrastive loss needs at least 2 samples per view")
    distance2 = pairwise_distances(z1, z2, squared=True)
    distance = distance2.clamp_min(1e-12).sqrt()
    off_diagonal = ~torch.eye(z1.size(0), dtype=torch.bool, device=z1.device)
    similar_term = distance2.diagonal().mean()
    dissimilar_term = F.relu(margin - distance[off_diagonal]).pow(2).mean()
    return 0.5 * (similar_term + dissimilar_term)


def triplet_loss(
    z1: Tensor,
    z2: Tensor,
    margin: float = 0.2,
    *,
    negatives: Optional[Tensor] = None,
    mining: str = "all",
    normalize: bool = True,
    squared: bool = True,
    symmetric: bool = True,
) -> Tensor:
    r"""Triplet loss of `FaceNet (Schroff et al. 2015) <https://arxiv.org/abs/1503.03832>`_.

    :math:`\max(0, d(a, p) - d(a, n) + m)` with anchor ``z1[i]``, positive ``z2[i]`` and negatives ``z2[j]``,
    ``j != i`` (plus the rows of ``negatives``). FaceNet uses squared distances on unit-normalised embeddings
    and ``m = 0.2`` (the defaults). ``mining`` picks the negatives of each anchor: ``"all"`` averages over
    every triplet, ``"hard"`` takes the closest negative, ``"semi-hard"`` (FaceNet) the closest negative
    farther than the positive, falling back to the closest negative when there is none.

    Args:
        z1 (Tensor): anchors ``[B, d]``.
        z2 (Tensor): positives ``[B, d]``.
        margin (float, optional): margin ``m > 0`` (default: ``0.2``).
        negatives (Tensor, optional): extra negatives ``[K, d]`` for every anchor (default: ``None``).
        mining (str, optional): ``"all"``, ``"hard"`` or ``"semi-hard"`` (default: ``"all"``).
        normalize (bool, optional): L2-normalise first (default: ``True``).
        squared (bool, optional): squared Euclidean distances (default: ``True``).
        symmetric (bool, optional): also use ``z2`` as anchors with ``z1`` as positives (default: ``True``).

    Returns:
        Tensor: scalar loss.
    """
    margin = check_positive("margin", margin)
    if mining not in _MINING:
        raise ValueError(f"mining must be one of {_MINING}, got {mining!r}")
    check_pair(z1, z2)
    check_negatives(negatives, z1.size(1))
    if z1.size(0) < 2 and negatives is None:
        raise ValueError("the triplet loss needs at least 2 samples per view or extra negatives")
    if normalize:
        z1, z2 = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
        negatives = F.normalize(negatives, dim=1) if negatives is not None else None
    losses = [_triplet_direction(z1, z2, negatives, margin, mining, squared)]
    if symmetric:
        losses.append(_triplet_direction(z2, z1, negatives, margin, mining, squared))
    return torch.stack(losses).mean()


def _triplet_direction(anchor: Tensor, positive: Tensor, extra: Optional[Tensor], margin: float, mining: str,
                       squared: bool) -> Tensor:
    batch_size = anchor.size(0)
    distance = pairwise_distances(anchor, positive, squared)
    d_positive = distance.diagonal()
    # negative candidates: the other rows of the positive view, then the extra negatives
    d_negative = distance.masked_fill(torch.eye(batch_size, dtype=torch.bool, device=anchor.device), float("inf"))
    if extra is not None:
        d_negative = torch.cat([d_negative, pairwise_distances(anchor, extra, squared)], dim=1)
    if mining == "all":
        hinge = F.relu(d_positive.unsqueeze(1) - d_negative + margin)
        is_negative = torch.isfinite(d_negative)
        return hinge[is_negative].mean()
    if mining == "hard":
        chosen = d_negative.min(dim=1).values
    else:
        farther = d_negative > d_positive.unsqueeze(1)
        semi_hard = d_negative.masked_fill(~farther, float("inf")).min(dim=1).values
        hardest = d_negative.min(dim=1).values
        chosen = torch.where(torch.isfinite(semi_hard), semi_hard, hardest)
    return F.relu(d_positive - chosen + margin).mean()


class MarginContrastiveLoss(nn.Module):
    """Module form of :func:`margin_contrastive_loss`."""

    def __init__(self, margin: float = 1.0, normalize: bool = True) -> None:
        super().__init__()
        self.margin = check_positive("margin", margin)
        self.normalize = bool(normalize)

    def forward(self, z1: Tensor, z2: Tensor, pair_labels: Optional[Tensor] = None) -> Tensor:
        return margin_contrastive_loss(z1, z2, self.margin, pair_labels=pair_labels, normalize=self.normalize)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(margin={self.margin}, normalize={self.normalize})"


class TripletLoss(nn.Module):
    """Module form of :func:`triplet_loss`."""

    def __init__(self, margin: float = 0.2, mining: str = "all", normalize: bool = True, squared: bool = True,
                 symmetric: bool = True) -> None:
        super().__init__()
        self.margin = check_positive("margin", margin)
        if mining not in _MINING:
            raise ValueError(f"mining must be one of {_MINING}, got {mining!r}")
        self.mining = mining
        self.normalize = bool(normalize)
        self.squared = bool(squared)
        self.symmetric = bool(symmetric)

    def forward(self, z1: Tensor, z2: Tensor, negatives: Optional[Tensor] = None) -> Tensor:
        return triplet_loss(z1, z2, self.margin, negatives=negatives, mining=self.mining,
                            normalize=self.normalize, squared=self.squared, symmetric=self.symmetric)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(margin={self.margin}, mining={self.mining!r})"
