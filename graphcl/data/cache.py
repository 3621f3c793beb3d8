"""The processed cache: rebuilt when the raw files it was built from change.

Next to the processed files, ``raw_fingerprint.json`` records the size and SHA-256 of every raw file
used. On load, a differing fingerprint deletes the processed files, so the dataset class processes
the raw files again.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Iterable

from graphcl.utils import atomic_write_json

FINGERPRINT_FILE = "raw_fingerprint.json"


def file_fingerprint(path: str | os.PathLike) -> dict:
    """Size and SHA-256 of one file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {"size": os.path.getsize(path), "sha256": digest.hexdigest()}


def raw_fingerprint(paths: Iterable[str | os.PathLike]) -> dict:
    """Fingerprints of ``paths`` keyed by file name (missing files are skipped)."""
    return {Path(p).name: file_fingerprint(p) for p in sorted(map(str, paths)) if os.path.isfile(p)}


def refresh_processed(processed_dir: str | os.PathLike, raw_paths: Iterable[str | os.PathLike],
                      extra: dict | None = None) -> dict:
    """Delete the processed files in ``processed_dir`` if they were built from other raw files.

    ``extra`` holds settings that change the processed content (e.g. a row limit) and is part of the
    fingerprint. Returns the current fingerprint, to be passed to :func:`record_fingerprint` once the
    dataset is processed.
    """
    processed_dir = Path(processed_dir)
    current = {"raw": raw_fingerprint(raw_paths), "settings": extra or {}}
    stamp = processed_dir / FINGERPRINT_FILE
    if processed_dir.is_dir():
        try:
            stored = json.loads(stamp.read_text())
        except (OSError, ValueError):
            stored = None
        if stored != current:
            for path in processed_dir.iterdir():
                if path.is_file():
                    path.unlink()
    return current


def record_fingerprint(processed_dir: str | os.PathLike, fingerprint: dict) -> None:
    """Store ``fingerprint`` beside the processed files (no-op when it is already stored)."""
    stamp = Path(processed_dir) / FINGERPRINT_FILE
    try:
        if json.loads(stamp.read_text()) == fingerprint:
            return
    except (OSError, ValueError):
        pass
    atomic_write_json(stamp, fingerprint)
