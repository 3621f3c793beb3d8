"""OGB node-property-prediction graphs ``ogbn-arxiv`` and ``ogbn-products`` (Hu et al., NeurIPS 2020,
https://arxiv.org/abs/2005.00687), loaded with OGB's own :class:`ogb.nodeproppred.PygNodePropPredDataset`.

Raw files come from the data root, the offline mirror (``$GRAPHCL_DATASET_MIRROR/ogb/ogbn_arxiv/...``,
laid out as OGB's unzipped archive; copied into the data root, the mirror is never written), or OGB's
download, in that order. OGB asks on the terminal before large downloads and before replacing an outdated
copy; here it never asks: offline, a missing dataset fails with :class:`DatasetNotFoundError` naming the
files expected.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

import torch
from torch_geometric.data import Data

from graphcl.data.mirror import DatasetNotFoundError, copy_from_mirror, data_root, missing_message

#: OGB name -> (folder name, split name, extra raw node files)
OGB_NODE_DATASETS = {
    "ogbn-arxiv": ("ogbn_arxiv", "time", ("node_year.csv.gz",)),
    "ogbn-products": ("ogbn_products", "sales_ranking", ()),
}
_RAW = ("edge.csv.gz", "node-feat.csv.gz", "node-label.csv.gz", "num-node-list.csv.gz", "num-edge-list.csv.gz")
_SPLIT = ("train.csv.gz", "valid.csv.gz", "test.csv.gz")
_RELEASE = "RELEASE_v1.txt"


def ogb_node_files(name: str) -> dict[str, list[str]]:
    """The files OGB's loader reads for ``name``, by folder relative to the data root's ``ogb/``."""
    folder, split, extra = OGB_NODE_DATASETS[_canonical(name)]
    return {folder: [_RELEASE], f"{folder}/raw": [*_RAW, *extra], f"{folder}/split/{split}": list(_SPLIT)}


def _canonical(name: str) -> str:
    key = name.lower().replace("_", "-")
    if key not in OGB_NODE_DATASETS:
        raise ValueError(f"Unknown OGB node dataset {name!r}; choose one of {sorted(OGB_NODE_DATASETS)}.")
    return key


def is_ogb_node_name(name: str) -> bool:
    return name.lower().replace("_", "-") in OGB_NODE_DATASETS


@contextlib.contextmanager
def _never_prompt():
    """OGB's ``decide_download`` asks on stdin before downloads over 1 GB; the user already asked for it."""
    import ogb.nodeproppred.dataset_pyg as module

    original = module.decide_download
    module.decide_download = lambda url: True
    try:
        yield
    finally:
        module.decide_download = original


def load_ogb_node(name: str, root: str | os.PathLike | None = None, download: bool = True) -> Data:
    """Load ``ogbn-arxiv`` or ``ogbn-products`` as one :class:`~torch_geometric.data.Data` with OGB's split
    as boolean ``train_mask``/``val_mask``/``test_mask`` and ``y`` of shape ``[N]``.

    Args:
        name (str): ``"ogbn-arxiv"`` or ``"ogbn-products"``.
        root (str, optional): data root (default: :func:`graphcl.data.mirror.data_root`); the dataset lives
            in ``<root>/ogb/<folder>``.
        download (bool, optional): download from OGB when the files are neither in the data root nor in the
            mirror. (default: :obj:`True`)

    Raises:
        DatasetNotFoundError: the files are missing and cannot be downloaded.
    """
    key = _canonical(name)
    folder, split, _ = OGB_NODE_DATASETS[key]
    base = data_root(root) / "ogb"
    files = ogb_node_files(key)
    present = all(copy_from_mirror(f"ogb/{relative}", names, base / relative) for relative, names in files.items())
    expected = [f"{relative}/{f}" for relative, names in files.items() for f in names]
    processed = base / folder / "processed" / "geometric_data_processed.pt"
    if not present and not processed.is_file():
        if not download:
            raise DatasetNotFoundError(missing_message(key, base, expected, "ogb"))
        # a partial folder without its release marker makes OGB ask on stdin whether to replace it
        if (base / folder).is_dir() and not (base / folder / _RELEASE).is_file():
            raise DatasetNotFoundError(missing_message(key, base, expected, "ogb")
                                       + f"\n{base / folder} is incomplete; remove it or complete it.")
    from ogb.nodeproppred import PygNodePropPredDataset

    try:
        with _never_prompt(), _trusting_torch_load():
            dataset = PygNodePropPredDataset(key, root=str(base))
            split_index = dataset.get_idx_split()
    except (OSError, RuntimeError, SystemExit) as error:  # network failures, or OGB's exit(-1)
        raise DatasetNotFoundError(missing_message(key, base, expected, "ogb")) from error
    data = dataset[0]
    n = int(data.num_nodes)
    data.y = data.y.view(-1)
    for mask_name, part in (("train_mask", "train"), ("val_mask", "valid"), ("test_mask", "test")):
        mask = torch.zeros(n, dtype=torch.bool)
        mask[split_index[part]] = True
        data[mask_name] = mask
    return data


@contextlib.contextmanager
def _trusting_torch_load():
    """OGB 1.3 reads its own processed file with a bare ``torch.load``, which PyTorch >= 2.6 restricts to
    tensors; the file is one OGB itself wrote in the data root."""
    original = torch.load

    def load(*args, **kwargs):
        kwargs.setdefault("weights_only", False)
        return original(*args, **kwargs)

    torch.load = load
    try:
        yield
    finally:
        torch.load = original
