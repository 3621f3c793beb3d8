"""Identity, composition and random choice of augmentations."""
from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import Tensor
from torch_geometric.data import Data

from graphcl.augment._graph import check_data, new_like
from graphcl.augment.base import Augmentation, apply_to_graphs


def identity(data: Data) -> Data:
    """A new object holding the same fields as ``data`` (the "no augmentation" view)."""
    check_data(data)
    return new_like(data)


class Identity(Augmentation):
    """Transform form of :func:`identity`."""

    def forward(self, data: Data) -> Data:
        return identity(data)

    def _forward_graphs(self, data: Data, graph_mask: Tensor) -> Data:
        return identity(data)


class Compose(Augmentation):
    """Apply augmentations one after the other.

    Args:
        transforms (sequence of callables): each maps a Data/Batch to a new Data/Batch.
    """

    def __init__(self, transforms: Sequence[Callable[[Data], Data]]) -> None:
        super().__init__()
        self.transforms = list(transforms)
        for transform in self.transforms:
            if not callable(transform):
                raise TypeError(f"{transform!r} is not callable")

    def forward(self, data: Data) -> Data:
        out = identity(data)
        for transform in self.transforms:
            out = transform(out)
        return out

    def _forward_graphs(self, data: Data, graph_mask: Tensor) -> Data:
        out = identity(data)
        for transform in self.transforms:
            out = apply_to_graphs(transform, out, graph_mask)
        return out

    def __repr__(self) -> str:
        return f"Compose([{', '.join(repr(t) for t in self.transforms)}])"


class RandomChoice(Augmentation):
    """Apply one augmentation drawn at random on each call.

    The draw is made once per call, so a whole :class:`~torch_geometric.data.Batch` gets the same
    augmentation (as JOAO samples one augmentation pair per mini-batch); each graph inside it still gets
    its own random nodes/edges.

    Args:
        transforms (sequence of callables): the candidates.
        probs (sequence of float, optional): their probabilities (normalised). (default: :obj:`None`, uniform)
        generator (torch.Generator, optional): source of randomness for the draw. (default: :obj:`None`)
    """

    def __init__(self, transforms: Sequence[Callable[[Data], Data]], probs: Sequence[float] | None = None,
                 generator: torch.Generator | None = None) -> None:
        super().__init__(None, generator)
        self.transforms = list(transforms)
        if not self.transforms:
            raise ValueError("RandomChoice needs at least one transform")
        for transform in self.transforms:
            if not callable(transform):
                raise TypeError(f"{transform!r} is not callable")
        if probs is None:
            probs = [1.0] * len(self.transforms)
        weights = torch.as_tensor(list(probs), dtype=torch.float64)
        if weights.numel() != len(self.transforms):
            raise ValueError(f"got {weights.numel()} probabilities for {len(self.transforms)} transforms")
        if not bool(torch.isfinite(weights).all()) or bool((weights < 0).any()) or float(weights.sum()) <= 0:
            raise ValueError("probabilities must be finite, non-negative and not all zero")
        self.probs = weights / weights.sum()
        self.last_choice: int | None = None

    def forward(self, data: Data) -> Data:
        index = int(torch.multinomial(self.probs, 1, generator=self.generator))
        self.last_choice = index
        return self.transforms[index](data)

    def _forward_graphs(self, data: Data, graph_mask: Tensor) -> Data:
        index = int(torch.multinomial(self.probs, 1, generator=self.generator))
        self.last_choice = index
        return apply_to_graphs(self.transforms[index], data, graph_mask)

    def __repr__(self) -> str:
        return f"RandomChoice([{', '.join(repr(t) for t in self.transforms)}])"
