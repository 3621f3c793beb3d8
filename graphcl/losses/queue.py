"""A fixed-size FIFO queue of past embeddings used as negatives (MoCo, He et al. 2020)."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphcl.losses._checks import check_embeddings, check_negatives, check_pair, check_positive
from graphcl.utils.checks import check_positive_int


class MomentumQueue(nn.Module):
    r"""Ring buffer of the last ``size`` keys, oldest first (`MoCo <https://arxiv.org/abs/1911.05722>`_).

    Keys are stored detached in a buffer, so the queue moves with ``.to(device)`` and is saved in the
    ``state_dict``.

    Args:
        size (int): capacity ``K``.
        dim (int): key dimension ``d``.

    Example:
        >>> queue = MomentumQueue(size=4, dim=2)
        >>> queue.enqueue(torch.ones(3, 2)); len(queue)
        3
    """

    def __init__(self, size: int, dim: int) -> None:
        super().__init__()
        for name, value in (("size", size), ("dim", dim)):
            check_positive_int(name, value)
        self.size = size
        self.dim = dim
        self.register_buffer("keys", torch.zeros(size, dim))
        self.register_buffer("start", torch.zeros((), dtype=torch.long))
        self.register_buffer("count", torch.zeros((), dtype=torch.long))

    def reset_parameters(self) -> None:
        """Empty the queue."""
        self.keys.zero_()
        self.start.zero_()
        self.count.zero_()

    def __len__(self) -> int:
        return int(self.count)

    @torch.no_grad()
    def enqueue(self, keys: Tensor) -> None:
        """Append ``keys`` ``[n, d]``; when full, the oldest entries are dropped to make room."""
        check_embeddings("keys", keys)
        if keys.size(1) != self.dim:
            raise ValueError(f"keys must have dimension {self.dim}, got {keys.size(1)}")
        keys = keys.detach().to(self.keys.dtype)[-self.size:]
        n = keys.size(0)
        overflow = max(0, int(self.count) + n - self.size)
        if overflow:
            self.dequeue(overflow)
        end = (int(self.start) + int(self.count)) % self.size
        slots = (torch.arange(n, device=self.keys.device) + end) % self.size
        self.keys[slots] = keys.to(self.keys.device)
        self.count += n

    @torch.no_grad()
    def dequeue(self, num: int) -> Tensor:
        """Remove and return the ``num`` oldest keys ``[num, d]``."""
        if isinstance(num, bool) or not isinstance(num, int) or num < 0 or num > len(self):
            raise ValueError(f"can dequeue between 0 and {len(self)} keys, asked for {num!r}")
        slots = (torch.arange(num, device=self.keys.device) + self.start) % self.size
        removed = self.keys[slots].clone()
        self.start.copy_((self.start + num) % self.size)
        self.count -= num
        return removed

    def forward(self) -> Optional[Tensor]:
        """The stored keys ``[len(self), d]``, oldest first, or ``None`` when empty."""
        if len(self) == 0:
            return None
        slots = (torch.arange(len(self), device=self.keys.device) + self.start) % self.size
        return self.keys[slots]

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size}, dim={self.dim})"


def info_nce_loss(query: Tensor, key: Tensor, negatives: Optional[Tensor] = None,
                  temperature: float = 0.07) -> Tensor:
    r"""MoCo's InfoNCE: :math:`-\log\frac{e^{q\cdot k^+/\tau}}{e^{q\cdot k^+/\tau} + \sum_{n} e^{q\cdot n/\tau}}`.

    With ``negatives`` (``[K, d]``, e.g. a :class:`MomentumQueue`), those are the only negatives, as in MoCo;
    without, the other keys of the batch are. Cosine similarities (rows are L2-normalised); ``key`` and
    ``negatives`` are detached.

    Args:
        query (Tensor): ``[B, d]``.
        key (Tensor): positive keys ``[B, d]``.
        negatives (Tensor, optional): ``[K, d]`` (default: ``None``).
        temperature (float, optional): :math:`\tau` (default: ``0.07``, MoCo's).
    """
    temperature = check_positive("temperature", temperature)
    check_pair(query, key)
    check_negatives(negatives, query.size(1))
    query = F.normalize(query, dim=1)
    key = F.normalize(key.detach(), dim=1)
    if negatives is None:
        if query.size(0) < 2:
            raise ValueError("InfoNCE without a queue needs at least 2 samples for in-batch negatives")
        logits = query @ key.t() / temperature
        target = torch.arange(query.size(0), device=query.device)
        return F.cross_entropy(logits, target)
    negatives = F.normalize(negatives.detach(), dim=1)
    positive = (query * key).sum(dim=1, keepdim=True)
    logits = torch.cat([positive, query @ negatives.t()], dim=1) / temperature
    target = torch.zeros(query.size(0), dtype=torch.long, device=query.device)
    return F.cross_entropy(logits, target)
