"""Progress bars that can be switched off (``enabled=False`` or ``GRAPHCL_NO_PROGRESS=1``)."""
from __future__ import annotations

import os
from typing import Iterable, TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


def progress(iterable: Iterable[T], enabled: bool = True, **kwargs) -> Iterable[T]:
    """Wrap ``iterable`` in a tqdm bar unless disabled."""
    disabled = (not enabled) or os.environ.get("GRAPHCL_NO_PROGRESS", "") not in ("", "0")
    return tqdm(iterable, disable=disabled, dynamic_ncols=True, **kwargs)
