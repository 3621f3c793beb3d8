"""graphcl: graph contrastive learning on PyTorch Geometric.

Subpackages are imported lazily so that ``import graphcl`` stays fast and does not
pull in RDKit or scikit-learn until they are needed.
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_SUBPACKAGES = ("augment", "data", "eval", "losses", "methods", "nn", "train", "utils")

__all__ = ["__version__", *_SUBPACKAGES]


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return importlib.import_module(f"graphcl.{name}")
    raise AttributeError(f"module 'graphcl' has no attribute {name!r}")
