"""Where datasets live, and how raw files are found offline.

* The **data root** (``GRAPHCL_DATA_ROOT``, default ``./datasets``) is where raw copies and the
  processed cache are written.
* The **mirror** (``GRAPHCL_DATASET_MIRROR``) is a read-only folder with the raw files laid out
  like the data root (``Planetoid/Cora/raw/...``, ``TUDataset/MUTAG/raw/...``,
  ``MoleculeNet/bbbp.csv``, ...). Loaders copy what they need from it into the data root and
  never write into the mirror.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Iterable, Sequence

DATA_ROOT_ENV = "GRAPHCL_DATA_ROOT"
MIRROR_ENV = "GRAPHCL_DATASET_MIRROR"


class DatasetNotFoundError(FileNotFoundError):
    """Raised when a dataset's raw files are neither on disk, in the mirror, nor downloadable."""


def data_root(root: str | os.PathLike | None = None) -> Path:
    """The data root: ``root`` if given, else ``$GRAPHCL_DATA_ROOT``, else ``./datasets``."""
    if root is None:
        root = os.environ.get(DATA_ROOT_ENV) or "datasets"
    return Path(root).expanduser().resolve()


def mirror_root() -> Path | None:
    """The offline mirror folder from ``$GRAPHCL_DATASET_MIRROR``, or ``None`` if unset."""
    value = os.environ.get(MIRROR_ENV)
    if not value:
        return None
    path = Path(value).expanduser().resolve()
    if not path.is_dir():
        raise DatasetNotFoundError(f"${MIRROR_ENV} points at {path}, which is not a folder.")
    return path


def missing_message(name: str, target_dir: Path, files: Sequence[str], relative: str) -> str:
    """The error text for a dataset whose raw files cannot be found."""
    listing = "\n".join(f"    {f}" for f in files)
    return (
        f"Dataset {name!r} is not available: its raw files were not found and could not be downloaded.\n"
        f"Expected files:\n{listing}\n"
        f"Provide them in one of two ways:\n"
        f"  1. place them in {target_dir}\n"
        f"  2. set ${MIRROR_ENV} to a folder that holds them under {relative}/ "
        f"(they are copied into the data root; the mirror is never written to)."
    )


def copy_from_mirror(relative: str, files: Iterable[str], target_dir: Path) -> bool:
    """Copy ``files`` from ``<mirror>/<relative>/`` into ``target_dir`` when they are missing there.

    Returns ``True`` when every file is present in ``target_dir`` afterwards.
    """
    files = list(files)
    target_dir = Path(target_dir)
    mirror = mirror_root()
    source_dir = mirror / relative if mirror is not None else None
    if source_dir is None or not all((source_dir / f).is_file() for f in files):
        return all((target_dir / f).is_file() for f in files)
    target_dir.mkdir(parents=True, exist_ok=True)
    for f in files:
        destination = target_dir / f
        if _needs_copy(source_dir / f, destination):
            tmp = destination.with_name(f".{destination.name}.partial")
            shutil.copyfile(source_dir / f, tmp)
            os.replace(tmp, destination)
    return True


def mirror_files(relative: str) -> list[str]:
    """Names of the plain files in ``<mirror>/<relative>/`` (empty without a mirror or folder)."""
    mirror = mirror_root()
    if mirror is None or not (mirror / relative).is_dir():
        return []
    return sorted(p.name for p in (mirror / relative).iterdir() if p.is_file() and not p.name.startswith("."))


def _needs_copy(source: Path, destination: Path) -> bool:
    # A mirror file that changed after it was copied (other size, or newer) is copied again, so the
    # processed cache built from the old copy is rebuilt.
    if not destination.is_file():
        return True
    src, dst = source.stat(), destination.stat()
    return src.st_size != dst.st_size or src.st_mtime_ns > dst.st_mtime_ns
