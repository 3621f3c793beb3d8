"""Similarity matrices shared by the in-batch losses."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def two_view_logits(z1: Tensor, z2: Tensor, temperature: float) -> tuple[Tensor, Tensor]:
    """SimCLR layout: for each of the ``2B`` anchors, the positive logit ``[2B]`` and the ``2B - 2``
    negative logits ``[2B, 2B - 2]`` (every other sample of both views), cosine similarity / temperature."""
    batch_size = z1.size(0)
    z = F.normalize(torch.cat([z1, z2], dim=0), dim=1)
    logits = z @ z.t() / temperature
    index = torch.arange(batch_size, device=z.device)
    partner = torch.cat([index + batch_size, index])
    anchors = torch.arange(2 * batch_size, device=z.device)
    positive = logits[anchors, partner]
    keep = torch.ones_like(logits, dtype=torch.bool)
    keep[anchors, anchors] = False
    keep[anchors, partner] = False
    negative = logits[keep].view(2 * batch_size, 2 * batch_size - 2)
    return positive, negative


def pairwise_distances(a: Tensor, b: Tensor, squared: bool) -> Tensor:
    """Euclidean distances ``[len(a), len(b)]``; the squared form is exact at zero, so its gradient is too."""
    diff = a.unsqueeze(1) - b.unsqueeze(0)
    distance2 = diff.pow(2).sum(-1)
    if squared:
        return distance2
    # sqrt has an infinite slope at 0: keep the gradient finite for identical points
    return distance2.clamp_min(1e-12).sqrt()
