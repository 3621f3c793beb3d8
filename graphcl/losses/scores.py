"""Turning two views into positive / negative pair scores for the score-based estimators."""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphcl.losses._checks import check_pair


def cross_view_scores(z1: Tensor, z2: Tensor, normalize: bool = False) -> tuple[Tensor, Tensor]:
    """Positive scores ``z1[i]·z2[i]`` ``[B]`` and negative scores ``z1[i]·z2[j]``, ``j != i``, ``[B(B-1)]``.

    Feeds :func:`jensen_shannon_loss` or :func:`bce_contrastive_loss` from two views, e.g.
    ``jensen_shannon_loss(*cross_view_scores(z1, z2))`` (InfoGraph scores with dot products).

    Args:
        z1 (Tensor): ``[B, d]``.
        z2 (Tensor): ``[B, d]``.
        normalize (bool, optional): cosine similarities instead of dot products (default: ``False``).
    """
    check_pair(z1, z2)
    if z1.size(0) < 2:
        raise ValueError("cross-view scores need at least 2 samples per view to form negatives")
    if normalize:
        z1, z2 = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    scores = z1 @ z2.t()
    diagonal = torch.eye(z1.size(0), dtype=torch.bool, device=z1.device)
    return scores.diagonal(), scores[~diagonal]


class CrossViewScoreLoss(nn.Module):
    """A score-based estimator (``(pos_scores, neg_scores) -> scalar``) used as a two-view loss
    ``(z1, z2) -> scalar`` through :func:`cross_view_scores`.

    Example:
        >>> from graphcl.losses import jensen_shannon_loss
        >>> loss = CrossViewScoreLoss(jensen_shannon_loss)
        >>> float(loss(torch.randn(4, 8), torch.randn(4, 8))) > -2 * 0.6932
        True
    """

    def __init__(self, score_loss: Callable[[Tensor, Tensor], Tensor], normalize: bool = False) -> None:
        super().__init__()
        if not callable(score_loss):
            raise TypeError("score_loss must be a callable (pos_scores, neg_scores) -> scalar")
        self.score_loss = score_loss
        self.normalize = bool(normalize)

    def forward(self, z1: Tensor, z2: Tensor) -> Tensor:
        return self.score_loss(*cross_view_scores(z1, z2, self.normalize))

    def __repr__(self) -> str:
        name = getattr(self.score_loss, "__name__", type(self.score_loss).__name__)
        return f"{self.__class__.__name__}({name}, normalize={self.normalize})"
