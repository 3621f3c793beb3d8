"""Argument checks shared across graphcl, so that a bad hyperparameter fails at once with a clear message."""
from __future__ import annotations

import numbers
from typing import Optional


def check_positive_int(name: str, value, *, optional: bool = False) -> Optional[int]:
    """Return ``value`` as an ``int`` if it is an integer >= 1 (``None`` too when ``optional``).

    Booleans are refused although Python counts them as integers; NumPy integers are accepted.

    Raises:
        ValueError: naming the argument and the value received.
    """
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        allowed = "a positive integer or None" if optional else "a positive integer"
        raise ValueError(f"{name} must be {allowed}, got {value!r}.")
    return int(value)
