"""Graph classification benchmarks: TU datasets and the GIN/DGCNN text format.

TU datasets (Morris et al., "TUDataset: A collection of benchmark datasets for learning with
graphs", 2020) load with :class:`torch_geometric.datasets.TUDataset`. DD, COLLAB and REDDIT-BINARY
are also distributed in the text format read by GIN (Xu et al., "How Powerful are Graph Neural
Networks?", ICLR 2019); :class:`GINFormatDataset` reads those zips into the same kind of PyG dataset.
"""
from __future__ import annotations

import os
import warnings
import zipfile
from pathlib import Path

import numpy as np
import torch
from torch_geometric.data import Data, InMemoryDataset

from graphcl.data._storage import node_offsets, replace_node_attribute, stored_graphs
from graphcl.data.cache import record_fingerprint, refresh_processed
from graphcl.data.mirror import DatasetNotFoundError, copy_from_mirror, data_root, mirror_files, missing_message
from graphcl.utils import atomic_save
from graphcl.utils.checks import check_positive_int

#: Names whose GIN-format zip ``load_tu`` prefers (their TU text files are not in the offline mirror).
GIN_FORMAT_PREFERRED = ("DD", "COLLAB", "REDDIT-BINARY", "REDDIT-MULTI-5K")
#: Common TU names; ``load_tu`` matches these case-insensitively (other names are passed on as given).
TU_NAMES = ("MUTAG", "PROTEINS", "NCI1", "NCI109", "PTC_MR", "ENZYMES", "IMDB-BINARY", "IMDB-MULTI", "DD",
            "COLLAB", "REDDIT-BINARY", "REDDIT-MULTI-5K")
NODE_FEATURE_MODES = ("auto", "constant", "degree")
#: Default cap of the one-hot degree feature: degrees at or above it share the last slot.
DEFAULT_MAX_DEGREE = 128


def gin_zip_candidates(name: str) -> list[str]:
    """Zip file names under which ``name`` may be stored (``IMDB-BINARY`` -> ``IMDBBINARY.zip``)."""
    names = [f"{name}.zip", f"{name.replace('-', '')}.zip"]
    return list(dict.fromkeys(names))


def parse_gin_text(text: bytes | str) -> dict[str, np.ndarray]:
    """Parse the GIN/DGCNN format into flat arrays.

    Layout: line 1 holds the number of graphs; each graph has a line ``n label`` and ``n`` node lines
    ``tag m nbr_1 ... nbr_m`` (0-based neighbours, optionally followed by float node attributes).

    Returns:
        dict with ``node_counts`` [G], ``labels`` [G] (raw values), ``tags`` [N], ``edge_index``
        [2, E] (global node ids, as listed) and ``attributes`` ([N, F] float, or ``None``).
    """
    if isinstance(text, str):
        text = text.encode()
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        try:
            tokens = np.fromstring(text, dtype=np.int64, sep=" ")
        except (DeprecationWarning, ValueError):
            tokens = None  # non-integer fields: node attributes, or a malformed file
    if tokens is not None:
        parsed = _walk_integer_tokens(tokens)
        if parsed is not None:
            return parsed
    return _parse_lines(text.decode())


def _walk_integer_tokens(tokens: np.ndarray) -> dict[str, np.ndarray] | None:
    # One Python step per node (not per edge): find where each node line starts; the neighbour
    # lists are then gathered with vectorized indexing.
    if tokens.size == 0:
        raise ValueError("GIN-format file is empty.")
    num_graphs = int(tokens[0])
    total = tokens.size
    node_counts = np.empty(num_graphs, dtype=np.int64)
    labels = np.empty(num_graphs, dtype=np.int64)
    node_starts: list[int] = []
    position = 1
    for g in range(num_graphs):
        if position + 1 >= total:
            raise ValueError(f"GIN-format file ends early: graph {g} of {num_graphs} is missing.")
        n = int(tokens[position])
        node_counts[g] = n
        labels[g] = tokens[position + 1]
        position += 2
        for _ in range(n):
            if position + 1 >= total:
                return None
            node_starts.append(position)
            position += 2 + int(tokens[position + 1])
    if position != total:
        return None  # extra fields on node lines: parse line by line
    starts = np.asarray(node_starts, dtype=np.int64)
    degrees = tokens[starts + 1]
    return _assemble(node_counts, labels, tokens[starts], degrees, _gather(tokens, starts + 2, degrees), None)


def _gather(tokens: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``concatenate([tokens[s:s + l] for s, l in zip(starts, lengths)])`` without the loop."""
    if lengths.sum() == 0:
        return np.empty(0, dtype=np.int64)
    offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return tokens[offsets + np.arange(int(lengths.sum()))]


def _parse_lines(text: str) -> dict[str, np.ndarray]:
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValueError("GIN-format file is empty.")
    num_graphs = int(lines[0].split()[0])
    node_counts, labels, tags, degrees, neighbours, attributes = [], [], [], [], [], []
    row = 1
    for g in range(num_graphs):
        if row >= len(lines):
            raise ValueError(f"GIN-format file ends early: graph {g} of {num_graphs} is missing.")
        n, label = (int(v) for v in lines[row].split()[:2])
        node_counts.append(n)
        labels.append(label)
        for line in lines[row + 1: row + 1 + n]:
            fields = line.split()
            m = int(fields[1])
            tags.append(int(fields[0]))
            degrees.append(m)
            neighbours.extend(int(v) for v in fields[2: 2 + m])
            attributes.append([float(v) for v in fields[2 + m:]])
        if len(tags) != sum(node_counts):
            raise ValueError(f"GIN-format file ends early inside graph {g}.")
        row += 1 + n
    widths = {len(a) for a in attributes}
    if len(widths) > 1:
        raise ValueError(f"GIN-format node attributes have differing lengths {sorted(widths)}.")
    attr = np.asarray(attributes, dtype=np.float32) if widths and widths != {0} else None
    return _assemble(np.asarray(node_counts), np.asarray(labels), np.asarray(tags), np.asarray(degrees),
                     np.asarray(neighbours, dtype=np.int64), attr)


def _assemble(node_counts, labels, tags, degrees, neighbours, attributes) -> dict[str, np.ndarray]:
    node_ptr = np.concatenate([[0], np.cumsum(node_counts)])
    node_graph = np.repeat(np.arange(len(node_counts)), node_counts)
    source = np.repeat(np.arange(int(node_ptr[-1])), degrees)
    local_limit = np.repeat(node_counts[node_graph], degrees)
    bad = (neighbours < 0) | (neighbours >= local_limit)
    if bad.any():
        node = int(source[np.argmax(bad)])
        raise ValueError(f"GIN-format graph {int(node_graph[node])} lists a neighbour outside the graph.")
    target = neighbours + np.repeat(node_ptr[node_graph], degrees)
    return {
        "node_counts": np.asarray(node_counts, dtype=np.int64),
        "labels": np.asarray(labels, dtype=np.int64),
        "tags": np.asarray(tags, dtype=np.int64),
        "source": source.astype(np.int64, copy=False),
        "target": target.astype(np.int64, copy=False),
        "attributes": attributes,
    }


def undirected_edges(source: np.ndarray, target: np.ndarray, num_nodes: int) -> np.ndarray:
    """Both directions of every edge, without self-loops or duplicates, sorted by (source, target).

    Same result as PyG's ``to_undirected(remove_self_loops(...))``; a stable (radix) sort of one
    int64 key per edge is several times faster than a lexicographic sort on the large social graphs.
    """
    keep = source != target
    source, target = source[keep], target[keep]
    keys = np.concatenate([source * num_nodes + target, target * num_nodes + source])
    keys.sort(kind="stable")
    if keys.size:
        keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])]
    return np.stack([keys // num_nodes, keys % num_nodes])


def read_gin_zip(path: str | os.PathLike, name: str | None = None) -> dict[str, np.ndarray]:
    """Parse ``<NAME>/<NAME>.txt`` inside a GIN-format zip (macOS ``__MACOSX``/``.DS_Store`` ignored)."""
    path = Path(path)
    with zipfile.ZipFile(path) as archive:
        members = [
            m for m in archive.namelist()
            if m.endswith(".txt") and "__MACOSX" not in m and "10fold_idx" not in m
            and not Path(m).name.startswith(".")
        ]
        stem = name or path.stem
        preferred = [m for m in members if Path(m).stem in (stem, stem.replace("-", ""))]
        chosen = preferred or members
        if len(chosen) != 1:
            raise ValueError(f"{path}: expected one graph file <NAME>/<NAME>.txt, found {chosen or 'none'}.")
        return parse_gin_text(archive.read(chosen[0]))


class GINFormatDataset(InMemoryDataset):
    r"""A graph classification dataset stored in the GIN/DGCNN text format (a zip), as a PyG dataset.

    Node tags become one-hot node features ``x`` (ids made contiguous; a dataset with a single tag
    gets ones ``[N, 1]``); raw graph labels are mapped to contiguous ids ``0..C-1`` in sorted order
    (MUTAG and REDDIT-BINARY store 0/2). Self-loops are removed and every graph is made undirected,
    as :class:`~torch_geometric.datasets.TUDataset` does. Parsing is vectorized and the result is
    cached in ``<root>/<name>/processed`` (rebuilt when the zip changes).

    Args:
        root (str): folder holding ``<name>/raw/<zip>``.
        name (str): dataset name, e.g. ``"COLLAB"``.
        zip_name (str, optional): file name of the zip in ``raw/`` (default: ``<name>.zip``).
        transform (callable, optional): PyG transform applied on access.
    """

    def __init__(self, root: str | os.PathLike, name: str, zip_name: str | None = None, transform=None,
                 force_reload: bool = False):
        self.name = name
        self.zip_name = zip_name or f"{name}.zip"
        base = Path(root) / name
        fingerprint = refresh_processed(base / "processed", [base / "raw" / self.zip_name])
        super().__init__(str(root), transform=transform, force_reload=force_reload)
        self.load(self.processed_paths[0])
        record_fingerprint(self.processed_dir, fingerprint)

    @property
    def raw_dir(self) -> str:
        return os.path.join(self.root, self.name, "raw")

    @property
    def processed_dir(self) -> str:
        return os.path.join(self.root, self.name, "processed")

    @property
    def raw_file_names(self) -> list[str]:
        return [self.zip_name]

    @property
    def processed_file_names(self) -> list[str]:
        return ["data.pt"]

    def download(self) -> None:
        files = self.raw_file_names
        raise DatasetNotFoundError(missing_message(self.name, Path(self.raw_dir), files, "gin_format"))

    def process(self) -> None:
        parsed = read_gin_zip(self.raw_paths[0], self.name)
        node_counts = torch.from_numpy(parsed["node_counts"])
        num_nodes = int(node_counts.sum())
        node_ptr = torch.cat([torch.zeros(1, dtype=torch.long), node_counts.cumsum(0)])
        node_graph = torch.repeat_interleave(torch.arange(node_counts.numel()), node_counts)

        edge_index = torch.from_numpy(undirected_edges(parsed.pop("source"), parsed.pop("target"), num_nodes))
        edge_graph = node_graph[edge_index[0]]
        edge_ptr = torch.cat([torch.zeros(1, dtype=torch.long),
                              torch.bincount(edge_graph, minlength=node_counts.numel()).cumsum(0)])
        edge_index = edge_index - node_ptr[edge_graph].unsqueeze(0)  # per-graph node ids

        _, tag_ids = np.unique(parsed["tags"], return_inverse=True)
        x = torch.nn.functional.one_hot(torch.from_numpy(tag_ids.reshape(-1)), int(tag_ids.max(initial=0)) + 1)
        x = x.to(torch.float32)
        if parsed["attributes"] is not None:
            x = torch.cat([torch.from_numpy(parsed["attributes"]), x], dim=1)
        _, label_ids = np.unique(parsed["labels"], return_inverse=True)
        y = torch.from_numpy(label_ids.reshape(-1).astype(np.int64))

        data = Data(x=x, edge_index=edge_index, y=y)
        slices = {"x": node_ptr, "edge_index": edge_ptr, "y": torch.arange(y.numel() + 1)}
        # the layout InMemoryDataset.load reads, written atomically
        atomic_save((data.to_dict(), slices, Data), self.processed_paths[0])

    def __repr__(self) -> str:
        return f"{self.name}({len(self)})"


def _tu_raw_present(raw_dir: Path, name: str) -> bool:
    return (raw_dir / f"{name}_A.txt").is_file() and (raw_dir / f"{name}_graph_indicator.txt").is_file()


def _find_gin_zip(name: str, base: Path) -> tuple[Path, str] | None:
    """Copy the GIN-format zip of ``name`` from the mirror if needed; return (raw dir, zip name)."""
    raw_dir = base / name / "raw"
    for candidate in gin_zip_candidates(name):
        if copy_from_mirror("gin_format", [candidate], raw_dir):
            return raw_dir, candidate
    return None


def load_tu(
    name: str,
    root: str | os.PathLike | None = None,
    node_features: str = "auto",
    max_degree: int | None = None,
    use_node_attr: bool = False,
    source: str = "auto",
) -> InMemoryDataset:
    """Load a graph classification dataset by its TU name.

    The TU text files come from the data root, the offline mirror (``TUDataset/<NAME>/raw/``) or a
    download. DD, COLLAB, REDDIT-BINARY and REDDIT-MULTI-5K are read from their GIN-format zip
    (``gin_format/<NAME>.zip``) when it is present; any name falls back to the TU files.

    Args:
        name (str): TU name, e.g. ``"MUTAG"``, ``"PROTEINS"``, ``"IMDB-BINARY"``, ``"COLLAB"``.
        root (str, optional): data root (default: :func:`graphcl.data.data_root`).
        node_features (str): ``"auto"``: the dataset's own node labels (one-hot, plus attributes with
            ``use_node_attr``) when it has any, else constant; ``"constant"``: ones ``[N, 1]``;
            ``"degree"``: one-hot node degree, degrees ``>= max_degree`` sharing the last slot.
        max_degree (int, optional): cap for ``"degree"`` (default: the largest degree in the
            dataset, at most :data:`DEFAULT_MAX_DEGREE`).
        use_node_attr (bool): also use continuous node attributes of TU datasets (default: False).
        source (str): ``"auto"``, ``"tu"`` or ``"gin"`` to force one file format.

    Returns:
        InMemoryDataset: graphs with ``x`` float ``[N, F]``, ``edge_index`` ``[2, E]``, ``y`` ``[1]``.
    """
    from torch_geometric.datasets import TUDataset

    if node_features not in NODE_FEATURE_MODES:
        raise ValueError(f"node_features must be one of {NODE_FEATURE_MODES}, got {node_features!r}.")
    if source not in ("auto", "tu", "gin"):
        raise ValueError(f"source must be 'auto', 'tu' or 'gin', got {source!r}.")
    check_positive_int("max_degree", max_degree, optional=True)
    if not isinstance(name, str) or not name:
        raise ValueError(f"Dataset name must be a non-empty string, got {name!r}.")

    name = {known.upper(): known for known in TU_NAMES}.get(name.upper(), name)
    base = data_root(root)
    dataset = None
    if source == "gin" or (source == "auto" and name.upper() in GIN_FORMAT_PREFERRED):
        found = _find_gin_zip(name, base / "gin_format")
        if found is not None:
            dataset = GINFormatDataset(base / "gin_format", name, zip_name=found[1])
        elif source == "gin":
            files = gin_zip_candidates(name)[:1]
            raise DatasetNotFoundError(missing_message(name, base / "gin_format" / name / "raw", files, "gin_format"))

    if dataset is None:
        tu_base = base / "TUDataset"
        raw_dir = tu_base / name / "raw"
        relative = f"TUDataset/{name}/raw"
        listed = mirror_files(relative)
        if listed:
            copy_from_mirror(relative, listed, raw_dir)
        raw_paths = sorted(raw_dir.glob("*.txt")) if raw_dir.is_dir() else []
        fingerprint = refresh_processed(tu_base / name / "processed", raw_paths)
        try:
            dataset = TUDataset(str(tu_base), name, use_node_attr=use_node_attr)
        except Exception as error:  # network failures surface as many exception types
            if _tu_raw_present(raw_dir, name):
                raise
            files = [f"{name}_A.txt", f"{name}_graph_indicator.txt", f"{name}_graph_labels.txt"]
            message = missing_message(name, raw_dir, files, relative)
            if name.upper() in GIN_FORMAT_PREFERRED:
                message += f"\n  (or its GIN-format zip {gin_zip_candidates(name)[0]} under gin_format/)"
            raise DatasetNotFoundError(message) from error
        record_fingerprint(tu_base / name / "processed", fingerprint)

    set_node_features(dataset, node_features, max_degree)
    return dataset


def node_degrees(dataset: InMemoryDataset) -> tuple[torch.Tensor, torch.Tensor]:
    """Degree of every node of an in-memory dataset (collated order) and the node offsets ``[G + 1]``."""
    node_ptr = node_offsets(dataset)
    storage, slices = stored_graphs(dataset)
    edge_ptr = slices["edge_index"]
    edge_counts = edge_ptr[1:] - edge_ptr[:-1]
    edge_index = storage.edge_index
    offsets = torch.repeat_interleave(node_ptr[:-1], edge_counts)
    degree = torch.bincount(edge_index[0] + offsets, minlength=int(node_ptr[-1]))
    return degree, node_ptr


def set_node_features(dataset: InMemoryDataset, mode: str = "auto", max_degree: int | None = None) -> None:
    """Give every graph of ``dataset`` node features ``x`` in place (see :func:`load_tu`)."""
    if mode not in NODE_FEATURE_MODES:
        raise ValueError(f"node_features must be one of {NODE_FEATURE_MODES}, got {mode!r}.")
    storage, _ = stored_graphs(dataset)
    if mode == "auto" and storage.x is not None and storage.x.numel() > 0 and storage.x.size(-1) > 0:
        return
    if mode in ("auto", "constant"):
        node_ptr = node_offsets(dataset)
        x = torch.ones(int(node_ptr[-1]), 1)
    else:
        degree, node_ptr = node_degrees(dataset)
        observed = int(degree.max()) if degree.numel() else 0
        cap = max_degree if max_degree is not None else max(1, min(observed, DEFAULT_MAX_DEGREE))
        x = torch.nn.functional.one_hot(degree.clamp(max=cap), cap + 1).to(torch.float32)
    replace_node_attribute(dataset, "x", x, node_ptr)
