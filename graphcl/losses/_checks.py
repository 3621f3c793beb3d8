"""Input and hyperparameter validation shared by the losses."""
from __future__ import annotations

import math
from typing import Optional

from torch import Tensor


def check_positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value}")
    return float(value)


def check_non_negative(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    return float(value)


def check_fraction(name: str, value: float, *, upper_open: bool = True) -> float:
    """``value`` in ``[0, 1)`` (or ``[0, 1]`` when ``upper_open=False``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    ok = 0 <= value < 1 if upper_open else 0 <= value <= 1
    if not ok:
        interval = "[0, 1)" if upper_open else "[0, 1]"
        raise ValueError(f"{name} must lie in {interval}, got {value}")
    return float(value)


def check_embeddings(name: str, z: Tensor) -> None:
    if not isinstance(z, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(z).__name__}")
    if z.dim() != 2:
        raise ValueError(f"{name} must have shape [num_samples, dim], got shape {tuple(z.shape)}")
    if not z.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {z.dtype}")
    if z.size(0) == 0:
        raise ValueError(f"{name} is empty (0 samples)")


def check_pair(z1: Tensor, z2: Tensor) -> None:
    """Two views of the same samples: equal shapes, row ``i`` of each is a positive pair."""
    check_embeddings("z1", z1)
    check_embeddings("z2", z2)
    if z1.shape != z2.shape:
        raise ValueError(f"z1 and z2 must have the same shape, got {tuple(z1.shape)} and {tuple(z2.shape)}")


def check_negatives(negatives: Optional[Tensor], dim: int) -> None:
    if negatives is None:
        return
    check_embeddings("negatives", negatives)
    if negatives.size(1) != dim:
        raise ValueError(f"negatives must have dimension {dim} like the embeddings, got {negatives.size(1)}")
