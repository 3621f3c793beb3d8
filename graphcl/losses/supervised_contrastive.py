"""Supervised contrastive loss (Khosla et al. 2020): samples with the same label are positives."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphcl.losses._checks import check_embeddings, check_positive


def supervised_contrastive_loss(
    z: Tensor,
    labels: Tensor,
    temperature: float = 0.5,
    mask: Optional[Tensor] = None,
) -> Tensor:
    r"""SupCon loss (:math:`\mathcal{L}^{sup}_{out}` of `Khosla et al. 2020 <https://arxiv.org/abs/2004.11362>`_).

    For each anchor :math:`i` with positives :math:`P(i) = \{p \ne i : y_p = y_i\}`,
    :math:`-\frac{1}{|P(i)|}\sum_{p \in P(i)} \log \frac{e^{s_{ip}/\tau}}{\sum_{a \ne i} e^{s_{ia}/\tau}}`
    with cosine similarities :math:`s`. Anchors without any positive are left out of the mean; when no anchor
    has a positive the loss is ``0`` (still attached to the graph, so ``backward()`` works). To contrast
    several views, concatenate them in ``z`` and repeat ``labels``.

    Args:
        z (Tensor): embeddings, shape ``[N, d]``.
        labels (Tensor): integer class labels, shape ``[N]``.
        temperature (float, optional): temperature :math:`\tau` (default: ``0.5``).
        mask (Tensor, optional): boolean ``[N]``; only these samples (e.g. the labelled nodes) take part
            (default: all).

    Returns:
        Tensor: scalar loss (lower is better).
    """
    temperature = check_positive("temperature", temperature)
    check_embeddings("z", z)
    if not isinstance(labels, Tensor) or labels.dim() != 1 or labels.size(0) != z.size(0):
        raise ValueError(f"labels must be a 1-D tensor with {z.size(0)} entries, one per row of z")
    if labels.is_floating_point():
        raise TypeError("labels must be integer class labels, got a floating-point tensor")
    if mask is not None:
        if not isinstance(mask, Tensor) or mask.dtype != torch.bool or mask.shape != labels.shape:
            raise ValueError(f"mask must be a boolean tensor of shape [{z.size(0)}]")
        z, labels = z[mask], labels[mask]
    if z.size(0) < 2:
        return z.sum() * 0.0

    z = F.normalize(z, dim=1)
    logits = z @ z.t() / temperature
    self_mask = torch.eye(z.size(0), dtype=torch.bool, device=z.device)
    log_prob = logits - torch.logsumexp(logits.masked_fill(self_mask, float("-inf")), dim=1, keepdim=True)
    positive = (labels.unsqueeze(0) == labels.unsqueeze(1)) & ~self_mask
    num_positives = positive.sum(dim=1)
    has_positive = num_positives > 0
    if not bool(has_positive.any()):
        return z.sum() * 0.0
    mean_log_prob = (log_prob * positive).sum(dim=1)[has_positive] / num_positives[has_positive]
    return -mean_log_prob.mean()


class SupervisedContrastiveLoss(nn.Module):
    """Module form of :func:`supervised_contrastive_loss`."""

    def __init__(self, temperature: float = 0.5) -> None:
        super().__init__()
        self.temperature = check_positive("temperature", temperature)

    def forward(self, z: Tensor, labels: Tensor, mask: Optional[Tensor] = None) -> Tensor:
        return supervised_contrastive_loss(z, labels, self.temperature, mask)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(temperature={self.temperature})"
