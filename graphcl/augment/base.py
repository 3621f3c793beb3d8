"""Common base of the augmentation transforms."""
from __future__ import annotations

import torch
from torch_geometric.data import Data
from torch_geometric.transforms import BaseTransform

from graphcl.augment._graph import check_ratio


class Augmentation(BaseTransform):
    r"""A :class:`~torch_geometric.transforms.BaseTransform` that returns a new augmented graph.

    Subclasses implement :meth:`forward`; the input is never modified.

    Args:
        p (float, optional): strength in :math:`[0, 1]`. (default: :obj:`None`, no strength)
        generator (torch.Generator, optional): source of randomness. (default: :obj:`None`, global RNG)
    """

    def __init__(self, p: float | None = None, generator: torch.Generator | None = None) -> None:
        self.p = check_ratio(p) if p is not None else None
        self.generator = generator

    def __call__(self, data: Data) -> Data:
        return self.forward(data)

    def forward(self, data: Data) -> Data:  # pragma: no cover - abstract
        raise NotImplementedError

    def _extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        parts = [] if self.p is None else [f"p={self.p:g}"]
        extra = self._extra_repr()
        if extra:
            parts.append(extra)
        return f"{self.__class__.__name__}({', '.join(parts)})"
