"""Planetoid citation graphs (Cora, CiteSeer, PubMed) with the public split.

Yang, Cohen & Salakhutdinov, "Revisiting Semi-Supervised Learning with Graph Embeddings", ICML 2016.
Loaded with :class:`torch_geometric.datasets.Planetoid`; raw files come from the data root, the
offline mirror, or a download, in that order.
"""
from __future__ import annotations

import os

from torch_geometric.data import Data

from graphcl.data.mirror import DatasetNotFoundError, copy_from_mirror, data_root, missing_message

PLANETOID_NAMES = {"cora": "Cora", "citeseer": "CiteSeer", "pubmed": "PubMed"}
_SUFFIXES = ("x", "tx", "allx", "y", "ty", "ally", "graph", "test.index")


def planetoid_raw_files(name: str) -> list[str]:
    """The eight raw file names PyG's Planetoid loader expects for ``name``."""
    return [f"ind.{name.lower()}.{suffix}" for suffix in _SUFFIXES]


def load_planetoid(name: str, root: str | os.PathLike | None = None) -> Data:
    """Load a Planetoid graph with its public split masks (``train_mask``/``val_mask``/``test_mask``).

    Args:
        name (str): ``"Cora"``, ``"CiteSeer"`` or ``"PubMed"`` (case-insensitive).
        root (str, optional): data root; defaults to :func:`graphcl.data.mirror.data_root`.

    Returns:
        Data: ``x`` of shape ``[num_nodes, num_features]``, ``edge_index`` ``[2, num_edges]``, ``y``.
    """
    from torch_geometric.datasets import Planetoid

    key = name.lower()
    if key not in PLANETOID_NAMES:
        raise ValueError(f"Unknown Planetoid dataset {name!r}; choose one of {sorted(PLANETOID_NAMES.values())}.")
    canonical = PLANETOID_NAMES[key]
    base = data_root(root) / "Planetoid"
    raw_dir = base / canonical / "raw"
    files = planetoid_raw_files(canonical)
    copy_from_mirror(f"Planetoid/{canonical}/raw", files, raw_dir)
    try:
        dataset = Planetoid(str(base), canonical, split="public")
    except Exception as error:  # network failures surface as many exception types
        if all((raw_dir / f).is_file() for f in files):
            raise
        raise DatasetNotFoundError(
            missing_message(canonical, raw_dir, files, f"Planetoid/{canonical}/raw")
        ) from error
    return dataset[0]
