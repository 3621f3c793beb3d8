"""One vocabulary for the command line: the same flag for the same thing in every command.

``--hidden-channels``, ``--num-layers``, ``--aug-ratio``, ``--epochs``, ``--lr``, ``--batch-size``,
``--seed``/``--seeds``, ``--device``, ``--root``, ``--out`` (a file), ``--save-dir`` (a folder),
``--no-progress``. Older spellings stay accepted as hidden aliases. Defaults are read from the library
function a command calls, so the command line never restates them.
"""
from __future__ import annotations

import argparse
import inspect
from typing import Any, Callable


def library_default(function: Callable, name: str) -> Any:
    """The default of parameter ``name`` of ``function`` (a class: of its constructor)."""
    target = function.__init__ if inspect.isclass(function) else function
    parameter = inspect.signature(target).parameters.get(name)
    if parameter is None or parameter.default is inspect.Parameter.empty:
        raise KeyError(f"{getattr(function, '__qualname__', function)} has no default for {name!r}")
    return parameter.default


def add_alias(parser: argparse.ArgumentParser, *flags: str, dest: str, **kwargs: Any) -> None:
    """Accept older spellings ``flags`` for ``dest`` without showing them in ``--help``."""
    parser.add_argument(*flags, dest=dest, help=argparse.SUPPRESS, default=argparse.SUPPRESS, **kwargs)


def add_run_options(parser: argparse.ArgumentParser, seeds: bool = False, root: bool = True) -> None:
    """``--seed`` (or ``--seeds``), ``--device``, ``--root`` and ``--no-progress``."""
    if seeds:
        parser.add_argument("--seeds", nargs="+", type=int, default=[0], help="one run per seed")
    else:
        parser.add_argument("--seed", type=int, default=0, help="seeds everything before any module is built")
    parser.add_argument("--device", default="auto", help="auto (CUDA when available), cpu, cuda, cuda:1 ...")
    if root:
        parser.add_argument("--root", default=None, help="data root (default: $GRAPHCL_DATA_ROOT or ./datasets)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (or GRAPHCL_NO_PROGRESS=1)")
