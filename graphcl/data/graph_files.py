"""A user's own graph from files: a saved PyG ``Data`` (``.pt``) or an edge list (CSV), with optional node
features (``.npy`` or CSV) and labels (``.npy`` or CSV).

Every check names the file and what is wrong with it (:class:`GraphFileError`), so that a bad file never
turns into a silent wrong answer or a traceback deep inside training.

File formats:

- **edge list** (``.csv``, ``.tsv``, ``.txt``, optionally gzipped): two integer columns ``source, target``
  per line, separated by commas, tabs or spaces; an optional header line; node ids ``0 .. N-1``. Edges are
  made undirected unless ``directed=True``. ``N`` is the number of feature rows when features are given,
  else ``num_nodes``, else the largest id plus one.
- **PyG graph** (``.pt``): a :class:`~torch_geometric.data.Data` saved with :func:`torch.save` holding
  ``edge_index`` and, optionally, ``x``, ``y`` and ``train_mask``/``val_mask``/``test_mask``.
- **features** (``.npy``: a 2-D array; or CSV: one row of numbers per node, no header, no id column).
- **labels** (``.npy`` or CSV: one integer per node; ``-1`` marks a node without label).

Without features, a node's feature is ``log(1 + degree)`` (one column), so that structure alone can be used.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import numpy as np
import torch
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.utils import to_undirected

EDGE_LIST_SUFFIXES = (".csv", ".tsv", ".txt", ".edges", ".el")
GRAPH_SUFFIXES = (".pt", ".pth")


class GraphFileError(ValueError):
    """A graph, feature or label file that cannot be used; the message names the file and the problem."""


def _suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def is_graph_file(name: str | os.PathLike) -> bool:
    """Whether ``name`` looks like a graph file (by suffix or because it exists) rather than a dataset name."""
    path = Path(name)
    return path.is_file() or _suffix(path) in EDGE_LIST_SUFFIXES + GRAPH_SUFFIXES


def _existing(path: str | os.PathLike, what: str) -> Path:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what} file not found: {path}")
    if path.stat().st_size == 0:
        raise GraphFileError(f"{path}: the {what} file is empty")
    return path


def _first_line(path: Path) -> str:
    import gzip

    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rt", errors="replace") as handle:
        return handle.readline()


def _read_table(path: Path, what: str) -> np.ndarray:
    """A numeric CSV/TSV/whitespace table as a 2-D float64 array (an optional header line is skipped)."""
    import pandas as pd

    line = _first_line(path)
    separator = "," if "," in line else "\t" if "\t" in line else r"\s+"
    fields = [f for f in (line.split(",") if separator == "," else line.split()) if f.strip()]
    header = bool(fields) and pd.to_numeric(pd.Series(fields), errors="coerce").isna().any()
    try:
        frame = pd.read_csv(path, sep=separator, header=None, skiprows=1 if header else 0, compression="infer",
                            comment="#", skip_blank_lines=True)
    except pd.errors.EmptyDataError:
        return np.empty((0, 0))
    except Exception as error:  # pandas raises many types for unreadable files
        raise GraphFileError(f"{path}: cannot read the {what} file as a table ({error})") from None
    if not all(pd.api.types.is_numeric_dtype(dtype) for dtype in frame.dtypes):
        values = frame.apply(pd.to_numeric, errors="coerce")
        bad = values.isna().to_numpy() & ~frame.isna().to_numpy()
        row = int(np.argwhere(bad)[0][0]) if bad.any() else 0
        raise GraphFileError(f"{path}: line {row + 1 + int(header)} of the {what} file holds a value that is "
                             "not a number")
    return frame.to_numpy(dtype=np.float64)


def _check_ids(edges: np.ndarray, num_nodes: Optional[int], path: Path) -> None:
    if edges.size == 0:
        return
    if not np.issubdtype(edges.dtype, np.integer) and (not np.all(np.isfinite(edges))
                                                       or not np.all(edges == np.round(edges))):
        row = int(np.argwhere(~np.isfinite(edges) | (edges != np.round(edges)))[0][0])
        raise GraphFileError(f"{path}: edge {row} has a node id that is not an integer")
    low = edges.min()
    if low < 0:
        row = int(np.argwhere(edges < 0)[0][0])
        raise GraphFileError(f"{path}: edge {row} has a negative node id {int(edges[row].min())}")
    if num_nodes is not None and edges.max() >= num_nodes:
        row = int(np.argwhere(edges >= num_nodes)[0][0])
        raise GraphFileError(f"{path}: edge {row} refers to node {int(edges[row].max())}, out of range for "
                             f"{num_nodes} nodes (ids must lie in 0..{num_nodes - 1})")


def read_edge_list(path: str | os.PathLike, num_nodes: Optional[int] = None) -> tuple[Tensor, int]:
    """``(edge_index [2, E], num_nodes)`` from a two-column edge list (see the module docstring)."""
    path = _existing(path, "edge list")
    table = _read_table(path, "edge list")
    if table.size == 0:
        raise GraphFileError(f"{path}: the edge list holds no edges")
    if table.ndim != 2 or table.shape[1] != 2:
        raise GraphFileError(f"{path}: an edge list needs exactly two columns (source, target), "
                             f"found {table.shape[1] if table.ndim == 2 else 0}")
    _check_ids(table, num_nodes, path)
    edge_index = torch.from_numpy(table.astype(np.int64).T.copy())
    if num_nodes is None:
        num_nodes = int(edge_index.max()) + 1
    return edge_index, num_nodes


def read_node_array(path: str | os.PathLike, what: str) -> np.ndarray:
    """A ``.npy`` or CSV array of per-node values."""
    path = _existing(path, what)
    if _suffix(path) == ".npy":
        try:
            return np.load(path, allow_pickle=False)
        except Exception as error:
            raise GraphFileError(f"{path}: cannot read the {what} file as a NumPy array ({error})") from None
    return _read_table(path, what)


def _check_features(x: np.ndarray | Tensor, num_nodes: int, path: str) -> Tensor:
    x = x if isinstance(x, Tensor) else torch.from_numpy(np.array(x))
    if x.dim() == 1:
        x = x.unsqueeze(1)
    if x.dim() != 2:
        raise GraphFileError(f"{path}: node features must be a 2-D array [num_nodes, num_features], "
                             f"got shape {tuple(x.shape)}")
    if x.size(0) != num_nodes:
        raise GraphFileError(f"{path}: {x.size(0)} feature rows but the graph has {num_nodes} nodes "
                             "(one row per node, in node-id order)")
    if not (x.is_floating_point() or x.dtype in (torch.int32, torch.int64, torch.uint8, torch.int8, torch.bool)):
        raise GraphFileError(f"{path}: node features must be numbers, got dtype {x.dtype}")
    x = x.to(torch.float32)
    finite = torch.isfinite(x).all(dim=1)
    if not bool(finite.all()):
        row = int((~finite).nonzero()[0])
        raise GraphFileError(f"{path}: node features hold NaN or infinite values (first in row {row}, "
                             f"node {row})")
    return x


def _check_labels(y: np.ndarray | Tensor, num_nodes: int, path: str) -> Tensor:
    y = y if isinstance(y, Tensor) else torch.from_numpy(np.array(y))
    if y.dim() == 2 and y.size(1) == 1:
        y = y.view(-1)
    if y.dim() != 1 or y.size(0) != num_nodes:
        raise GraphFileError(f"{path}: labels must hold one value per node ({num_nodes}), got shape "
                             f"{tuple(y.shape)}")
    if y.is_floating_point():
        if not bool(torch.isfinite(y).all()) or not bool((y == y.round()).all()):
            raise GraphFileError(f"{path}: labels must be integers (-1 for unlabelled nodes)")
    y = y.to(torch.long)
    if bool((y < -1).any()):
        raise GraphFileError(f"{path}: labels must be >= 0, or -1 for unlabelled nodes")
    return y


def degree_features(edge_index: Tensor, num_nodes: int) -> Tensor:
    """``log(1 + in-degree)``, shape ``[N, 1]``: the features of a graph given without any."""
    degree = torch.bincount(edge_index[1], minlength=num_nodes).to(torch.float32)
    return torch.log1p(degree).unsqueeze(1)


def load_graph_file(path: str | os.PathLike, features: str | os.PathLike | None = None,
                    labels: str | os.PathLike | None = None, num_nodes: Optional[int] = None,
                    directed: bool = False) -> Data:
    """Load a user's graph (see the module docstring for the formats) and check it.

    Args:
        path (str): a ``.pt`` file holding a ``Data``, or an edge list.
        features (str, optional): node features (``.npy`` or CSV); replace ``x`` of a ``.pt`` graph.
        labels (str, optional): node labels (``.npy`` or CSV); replace ``y`` of a ``.pt`` graph.
        num_nodes (int, optional): node count of an edge list (isolated nodes at the end). Default: the
            number of feature rows, else the largest id plus one.
        directed (bool, optional): keep an edge list's edges as given instead of adding the reverse ones.
            (default: :obj:`False`)

    Returns:
        Data: ``x`` ``[N, F]`` float32, ``edge_index`` ``[2, E]``, and ``y`` ``[N]`` when labels are known.

    Raises:
        FileNotFoundError: a file does not exist.
        GraphFileError: a file cannot be used (the message names the file and the problem).
    """
    path = Path(path)
    x: Optional[Tensor] = None
    feature_source = str(features) if features is not None else str(path)
    if features is not None:
        feature_array = read_node_array(features, "features")
        num_nodes_from_features = int(feature_array.shape[0]) if feature_array.ndim >= 1 else 0
    if _suffix(path) in GRAPH_SUFFIXES:
        _existing(path, "graph")
        try:
            data = torch.load(path, map_location="cpu", weights_only=False)
        except Exception as error:
            raise GraphFileError(f"{path}: cannot load the file with torch.load ({error})") from None
        if not isinstance(data, Data):
            raise GraphFileError(f"{path}: expected a torch_geometric.data.Data, found {type(data).__name__}")
        if data.num_nodes is None or data.num_nodes == 0:
            raise GraphFileError(f"{path}: the graph has no nodes")
        edge_index = getattr(data, "edge_index", None)
        if edge_index is None or not isinstance(edge_index, Tensor) or edge_index.dim() != 2 or edge_index.size(0) != 2:
            raise GraphFileError(f"{path}: edge_index must be a tensor of shape [2, num_edges]")
        if edge_index.is_floating_point():
            raise GraphFileError(f"{path}: edge_index must hold integer node ids, got {edge_index.dtype}")
        _check_ids(edge_index.t().numpy(), int(data.num_nodes), path)
        data.edge_index = edge_index.to(torch.long)
        if features is None and getattr(data, "x", None) is not None:
            x = _check_features(data.x, int(data.num_nodes), str(path))
    else:
        if features is not None and num_nodes is None:
            num_nodes = num_nodes_from_features
        edge_index, num_nodes = read_edge_list(path, num_nodes)
        if not directed:
            edge_index = to_undirected(edge_index, num_nodes=num_nodes)
        data = Data(edge_index=edge_index, num_nodes=num_nodes)
    n = int(data.num_nodes)
    if n == 0:
        raise GraphFileError(f"{path}: the graph has no nodes")
    if features is not None:
        x = _check_features(feature_array, n, feature_source)
    if x is None:
        x = degree_features(data.edge_index, n)
    data.x = x
    if labels is not None:
        data.y = _check_labels(read_node_array(labels, "labels"), n, str(labels))
    elif getattr(data, "y", None) is not None:
        data.y = _check_labels(data.y, n, str(path))
    return data


def labelled_split(y: Tensor, train: float = 0.1, valid: float = 0.1,
                   generator: Optional[torch.Generator] = None) -> tuple[Tensor, Tensor, Tensor]:
    """Boolean ``train``/``valid``/``test`` masks over the labelled nodes (``y >= 0``), drawn at random
    (fractions of the labelled nodes; the rest is the test set)."""
    labelled = (y >= 0).nonzero().view(-1)
    if labelled.numel() < 3:
        raise ValueError(f"need at least 3 labelled nodes for a train/valid/test split, got {labelled.numel()}")
    order = labelled[torch.randperm(labelled.numel(), generator=generator)]
    n_train = max(1, int(round(train * order.numel())))
    n_valid = max(1, int(round(valid * order.numel())))
    masks = []
    for part in (order[:n_train], order[n_train:n_train + n_valid], order[n_train + n_valid:]):
        mask = torch.zeros(y.numel(), dtype=torch.bool)
        mask[part] = True
        masks.append(mask)
    return masks[0], masks[1], masks[2]
