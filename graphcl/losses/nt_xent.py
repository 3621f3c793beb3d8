"""NT-Xent / InfoNCE between two views (SimCLR, Chen et al. 2020; GraphCL, You et al. 2020)."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphcl.losses._checks import check_negatives, check_pair, check_positive


def nt_xent_loss(
    z1: Tensor,
    z2: Tensor,
    temperature: float = 0.5,
    exclude_positive: bool = False,
    *,
    negatives: Optional[Tensor] = None,
    symmetric: Optional[bool] = None,
) -> Tensor:
    r"""Normalized temperature-scaled cross-entropy between two views.

    Row ``i`` of ``z1`` and row ``i`` of ``z2`` are a positive pair; similarities are cosine similarities
    divided by ``temperature``. Two denominators are offered:

    * ``exclude_positive=False`` (SimCLR, `Chen et al. 2020 <https://arxiv.org/abs/2002.05709>`_): each of the
      ``2B`` anchors is contrasted against its positive and the ``2B - 2`` other samples of both views,
      :math:`-\log \frac{e^{s_{ii'}}}{\sum_{k \ne i} e^{s_{ik}}}`, averaged over both directions.
    * ``exclude_positive=True`` (the official GraphCL code, `You et al. 2020
      <https://arxiv.org/abs/2010.13902>`_): similarities between view 1 and view 2 only, positive on the
      diagonal, denominator = row sum minus the diagonal,
      :math:`-\log \frac{e^{s_{ii}}}{\sum_{j \ne i} e^{s_{ij}}}`, anchors from ``z1`` only.

    Works for graph embeddings (``B`` graphs) and node embeddings (``B`` nodes) alike.

    Args:
        z1 (Tensor): first view, shape ``[B, d]``.
        z2 (Tensor): second view, shape ``[B, d]``.
        temperature (float, optional): softmax temperature (default: ``0.5``).
        exclude_positive (bool, optional): use the GraphCL denominator (default: ``False``).
        negatives (Tensor, optional): extra negatives ``[K, d]`` (e.g. a MoCo queue) added to every
            anchor's denominator (default: ``None``).
        symmetric (bool, optional): average the ``z1 -> z2`` and ``z2 -> z1`` directions. ``None`` picks
            each paper's choice: ``True`` for SimCLR, ``False`` for GraphCL (default: ``None``).

    Returns:
        Tensor: scalar loss (lower is better).
    """
    temperature = check_positive("temperature", temperature)
    check_pair(z1, z2)
    check_negatives(negatives, z1.size(1))
    batch_size = z1.size(0)
    if batch_size < 2 and negatives is None:
        raise ValueError("NT-Xent needs at least 2 samples per view or extra negatives")
    if symmetric is None:
        symmetric = not exclude_positive
    z1 = F.normalize(z1, dim=1)
    z2 = F.normalize(z2, dim=1)
    extra = F.normalize(negatives, dim=1) if negatives is not None else None

    if exclude_positive:
        losses = [_exclude_positive_direction(z1, z2, extra, temperature)]
        if symmetric:
            losses.append(_exclude_positive_direction(z2, z1, extra, temperature))
        return torch.stack(losses).mean()

    z = torch.cat([z1, z2], dim=0)
    logits = z @ z.t() / temperature
    self_mask = torch.eye(2 * batch_size, dtype=torch.bool, device=z.device)
    logits = logits.masked_fill(self_mask, float("-inf"))
    if extra is not None:
        logits = torch.cat([logits, z @ extra.t() / temperature], dim=1)
    index = torch.arange(batch_size, device=z.device)
    target = torch.cat([index + batch_size, index])
    per_anchor = F.cross_entropy(logits, target, reduction="none")
    if symmetric:
        return per_anchor.mean()
    return per_anchor[:batch_size].mean()


def _exclude_positive_direction(anchor: Tensor, other: Tensor, extra: Optional[Tensor],
                                temperature: float) -> Tensor:
    logits = anchor @ other.t() / temperature
    positive = logits.diagonal()
    diagonal = torch.eye(anchor.size(0), dtype=torch.bool, device=anchor.device)
    negative_logits = logits.masked_fill(diagonal, float("-inf"))
    if extra is not None:
        negative_logits = torch.cat([negative_logits, anchor @ extra.t() / temperature], dim=1)
    return (torch.logsumexp(negative_logits, dim=1) - positive).mean()


class NTXentLoss(nn.Module):
    r"""Module form of :func:`nt_xent_loss`.

    ``NTXentLoss(temperature=0.5)`` is SimCLR's loss; ``NTXentLoss(temperature=0.2, exclude_positive=True)``
    is the loss of the official GraphCL code for TU datasets.

    Example:
        >>> loss = NTXentLoss(temperature=0.2)
        >>> z1, z2 = torch.randn(8, 16), torch.randn(8, 16)
        >>> bool(loss(z1, z2) > 0)
        True
    """

    def __init__(self, temperature: float = 0.5, exclude_positive: bool = False,
                 symmetric: Optional[bool] = None) -> None:
        super().__init__()
        self.temperature = check_positive("temperature", temperature)
        self.exclude_positive = bool(exclude_positive)
        self.symmetric = symmetric

    def forward(self, z1: Tensor, z2: Tensor, negatives: Optional[Tensor] = None) -> Tensor:
        return nt_xent_loss(z1, z2, self.temperature, self.exclude_positive, negatives=negatives,
                            symmetric=self.symmetric)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(temperature={self.temperature}, "
                f"exclude_positive={self.exclude_positive})")
