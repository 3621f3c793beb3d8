"""Atomic writes: results and checkpoints are written to a temporary file, then renamed.

A crash mid-write therefore never leaves a truncated file behind.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from contextlib import contextmanager
from typing import Any, Iterator

import torch


@contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed onto ``path`` when the block ends without an
    error, removed otherwise (for writers that need a file name, e.g. NumPy memory maps)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _atomic_replace(path: str | os.PathLike, write) -> Path:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
    return Path(path)


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    return _atomic_replace(path, lambda handle: handle.write(text.encode("utf-8")))


def atomic_write_json(path: str | os.PathLike, obj: Any, indent: int = 2) -> Path:
    """Serialize ``obj`` as JSON and write it to ``path`` atomically."""
    text = json.dumps(obj, indent=indent, sort_keys=False, default=_json_default) + "\n"
    return atomic_write_text(path, text)


def atomic_save(obj: Any, path: str | os.PathLike) -> Path:
    """:func:`torch.save` ``obj`` to ``path`` atomically."""
    return _atomic_replace(path, lambda handle: torch.save(obj, handle))


def atomic_save_numpy(array, path: str | os.PathLike) -> Path:
    """:func:`numpy.save` ``array`` to ``path`` atomically (the name is kept as given)."""
    import numpy as np

    return _atomic_replace(path, lambda handle: np.save(handle, array))


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> Any:
    """Load a checkpoint written by :func:`atomic_save`."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Checkpoint not found: {path}")
    return torch.load(path, map_location=map_location, weights_only=False)


def _json_default(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
