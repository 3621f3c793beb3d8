"""Shared fixtures. Tests on real data read the offline mirror (``$GRAPHCL_DATASET_MIRROR``).

In CI (``GRAPHCL_REQUIRE_MIRROR=1``) a missing mirror is an error, not a skip.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("GRAPHCL_NO_PROGRESS", "1")


def _default_mirror() -> Path | None:
    candidate = Path(__file__).resolve().parents[2] / "shared" / "datasets"
    return candidate if candidate.is_dir() else None


@pytest.fixture(scope="session")
def mirror() -> Path:
    """The dataset mirror folder (read-only)."""
    value = os.environ.get("GRAPHCL_DATASET_MIRROR")
    path = Path(value) if value else _default_mirror()
    if path is None or not path.is_dir():
        if os.environ.get("GRAPHCL_REQUIRE_MIRROR") == "1" or os.environ.get("CI"):
            pytest.fail("The dataset mirror is required here: set GRAPHCL_DATASET_MIRROR to ../shared/datasets.")
        pytest.skip("no dataset mirror (set GRAPHCL_DATASET_MIRROR)")
    return path.resolve()


@pytest.fixture(scope="session")
def data_root(tmp_path_factory, mirror, monkeypatch_session) -> Path:
    """A fresh data root for this test session, fed from the mirror."""
    root = tmp_path_factory.mktemp("data_root")
    monkeypatch_session.setenv("GRAPHCL_DATASET_MIRROR", str(mirror))
    monkeypatch_session.setenv("GRAPHCL_DATA_ROOT", str(root))
    return root


@pytest.fixture(scope="session")
def monkeypatch_session():
    with pytest.MonkeyPatch.context() as patch:
        yield patch
