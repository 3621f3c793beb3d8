"""Molecules as graphs: MoleculeNet benchmarks from CSV and unlabelled SMILES corpora (ZINC250k).

By default every molecule is featurized with OGB's :func:`ogb.utils.smiles2graph` (Hu et al., "Open Graph
Benchmark", NeurIPS 2020): ``x`` long ``[N, 9]`` atom features, ``edge_attr`` long ``[E, 3]`` bond
features, both directions of every bond in ``edge_index``; ``featurizer="hu2020"`` gives the 2 + 2
features of the transfer literature (:mod:`graphcl.data.featurizers`). MoleculeNet: Wu et al., "MoleculeNet: a
benchmark for molecular machine learning", Chem. Sci. 2018.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import logging
import multiprocessing
import os
import warnings
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch_geometric.data import Data, InMemoryDataset

from graphcl.data.cache import record_fingerprint, refresh_processed
from graphcl.data.featurizers import DEFAULT_FEATURIZER, MoleculeFeaturizationError, get_featurizer
from graphcl.data.mirror import DatasetNotFoundError, copy_from_mirror, data_root, missing_message
from graphcl.utils import atomic_save, atomic_write_json, progress
from graphcl.utils.checks import check_positive_int

logger = logging.getLogger(__name__)

#: MoleculeNet tasks: canonical name -> (file stem in ``MoleculeNet/``, task type).
MOLECULENET_TASKS = {
    "BBBP": ("bbbp", "classification"),
    "Tox21": ("tox21", "classification"),
    "ToxCast": ("toxcast", "classification"),
    "SIDER": ("sider", "classification"),
    "ClinTox": ("clintox", "classification"),
    "MUV": ("muv", "classification"),
    "HIV": ("hiv", "classification"),
    "BACE": ("bace", "classification"),
    "ESOL": ("esol", "regression"),
    "FreeSolv": ("freesolv", "regression"),
    "Lipophilicity": ("lipophilicity", "regression"),
}
_ALIASES = {"lipo": "Lipophilicity", "delaney": "ESOL"}
SMILES_COLUMNS = ("smiles", "mol")
#: How many invalid SMILES a report lists by line.
REPORT_EXAMPLES = 5
#: Molecules below which featurization stays in this process (a pool costs a few seconds to start).
PARALLEL_THRESHOLD = 20000


class InvalidSmilesError(ValueError):
    """A SMILES string that RDKit cannot parse, or that has no atoms (raised in strict mode)."""


@dataclass
class InvalidSmilesReport:
    """Which input SMILES were skipped: ``count`` of ``total``, the first few as ``(line, smiles)``.

    ``line`` is the 1-based line number in the raw file (a CSV header is line 1).
    """

    source: str
    total: int = 0
    count: int = 0
    examples: list = field(default_factory=list)

    def __str__(self) -> str:
        if self.count == 0:
            return f"{self.source}: all {self.total} SMILES featurized."
        shown = "; ".join(f"line {line}: {smiles!r}" for line, smiles in self.examples)
        return (f"{self.source}: skipped {self.count} of {self.total} SMILES that RDKit could not parse "
                f"or that have no atoms (first: {shown}).")


def _featurize_chunk(smiles: Sequence[str], featurizer: str = DEFAULT_FEATURIZER):
    """Featurize a chunk; returns concatenated arrays plus a validity mask (runs in pool workers)."""
    from rdkit import RDLogger

    featurize = get_featurizer(featurizer)
    RDLogger.DisableLog("rdApp.*")  # invalid SMILES are counted and reported, not printed
    try:
        xs, edges, attrs, node_counts, edge_counts = [], [], [], [], []
        valid = np.zeros(len(smiles), dtype=bool)
        for i, text in enumerate(smiles):
            try:
                graph = featurize(text)
            except MoleculeFeaturizationError:
                continue
            valid[i] = True
            xs.append(graph["node_feat"])
            edges.append(graph["edge_index"])
            attrs.append(graph["edge_feat"])
            node_counts.append(graph["num_nodes"])
            edge_counts.append(graph["edge_index"].shape[1])
    finally:
        RDLogger.EnableLog("rdApp.*")
    if not xs:
        return (*featurize.empty(), np.empty(0, np.int64), np.empty(0, np.int64), valid)
    return (np.concatenate(xs), np.concatenate(edges, axis=1), np.concatenate(attrs),
            np.asarray(node_counts, np.int64), np.asarray(edge_counts, np.int64), valid)


def smiles_to_graphs(smiles: Sequence[str], featurizer: str = DEFAULT_FEATURIZER) -> tuple[list, list]:
    """Featurize every SMILES on its own, keeping the input order.

    Args:
        smiles (list of str): molecules.
        featurizer (str): ``"ogb"`` or ``"hu2020"`` (see :mod:`graphcl.data.featurizers`).

    Returns:
        (graphs, errors): ``graphs[i]`` is a :class:`~torch_geometric.data.Data` (``x``, ``edge_index``,
        ``edge_attr``, ``smiles``) or ``None``; ``errors[i]`` is ``None`` or the reason it could not be
        featurized.
    """
    from rdkit import RDLogger

    featurize = get_featurizer(featurizer)
    graphs, errors = [], []
    RDLogger.DisableLog("rdApp.*")
    try:
        for text in smiles:
            try:
                graph = featurize(text)
            except MoleculeFeaturizationError as error:
                graphs.append(None)
                errors.append(str(error))
                continue
            graphs.append(Data(x=torch.from_numpy(graph["node_feat"]),
                               edge_index=torch.from_numpy(graph["edge_index"]),
                               edge_attr=torch.from_numpy(graph["edge_feat"]), smiles=text.strip()))
            errors.append(None)
    finally:
        RDLogger.EnableLog("rdApp.*")
    return graphs, errors


def default_workers(num_molecules: int) -> int:
    """Featurization processes to use: one per idle core for large inputs, else 0 (in-process).

    A pool only pays off when cores are idle: on a 2-core machine with a load average above 20,
    20,000 ZINC molecules took 69 s with two workers against 57 s in-process
    (``benchmarks/results/data_cache.md``).
    """
    if num_molecules < PARALLEL_THRESHOLD:
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        idle = cores - os.getloadavg()[0]
    except OSError:
        idle = cores
    workers = min(cores, int(idle))
    return workers if workers > 1 else 0


def featurize_smiles(smiles: Sequence[str], num_workers: int | None = None, chunk_size: int = 2000,
                     show_progress: bool = True, featurizer: str = DEFAULT_FEATURIZER
                     ) -> tuple[Data, dict, np.ndarray]:
    """Featurize SMILES (OGB's ``smiles2graph`` by default) into PyG's collated in-memory storage.

    Args:
        smiles (list of str): molecules.
        featurizer (str): ``"ogb"`` or ``"hu2020"`` (see :mod:`graphcl.data.featurizers`).
        num_workers (int, optional): worker processes; 0 = this process (default:
            :func:`default_workers`).
        chunk_size (int): molecules per task.
        show_progress (bool): show a progress bar.

    Returns:
        (Data, slices, valid): storage and slices of the valid molecules, and a bool mask over the input.
    """
    smiles = list(smiles)
    if num_workers is None:
        num_workers = default_workers(len(smiles))
    chunks = [smiles[i:i + chunk_size] for i in range(0, len(smiles), chunk_size)]
    if num_workers > 1 and len(chunks) > 1:
        # fork starts workers in milliseconds; they only run RDKit and numpy, never torch
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        with ProcessPoolExecutor(num_workers, mp_context=context) as pool:
            results = list(progress(pool.map(partial(_featurize_chunk, featurizer=featurizer), chunks),
                                    enabled=show_progress,
                                    total=len(chunks), desc="featurizing", unit="chunk"))
    else:
        results = [_featurize_chunk(c, featurizer) for c in progress(chunks, enabled=show_progress,
                                                                       desc="featurizing", unit="chunk")]
    if not results:
        results = [_featurize_chunk([], featurizer)]
    x, edge_index, edge_attr, node_counts, edge_counts, valid = (
        np.concatenate([r[k] for r in results], axis=1 if k == 1 else 0) for k in range(6)
    )
    node_ptr = torch.from_numpy(np.concatenate([[0], np.cumsum(node_counts)]).astype(np.int64))
    edge_ptr = torch.from_numpy(np.concatenate([[0], np.cumsum(edge_counts)]).astype(np.int64))
    data = Data(x=torch.from_numpy(x), edge_index=torch.from_numpy(edge_index),
                edge_attr=torch.from_numpy(edge_attr))
    slices = {"x": node_ptr, "edge_index": edge_ptr, "edge_attr": edge_ptr}
    return data, slices, valid


class MoleculeDataset(InMemoryDataset):
    r"""Featurized molecules from a SMILES file, cached as a PyG :class:`InMemoryDataset`.

    Each graph has ``x`` long ``[N, 9]``, ``edge_index`` ``[2, E]``, ``edge_attr`` long ``[E, 3]`` (OGB's
    featurization; ``[N, 2]`` and ``[E, 2]`` with ``featurizer="hu2020"``),
    ``smiles`` (str) and, when the file has label columns, ``y`` float ``[1, num_tasks]`` with NaN for a
    missing label. Invalid SMILES (unparsable, or no atoms) are skipped; :attr:`invalid_smiles`
    reports them, and ``strict=True`` raises :class:`InvalidSmilesError` naming the line instead.
    The cache in ``<root>/processed`` is rebuilt when the raw file changes.

    Args:
        root (str): folder for the processed cache.
        raw_path (str): CSV (``.csv``/``.csv.gz``; SMILES column ``smiles`` or ``mol``, every other
            column a label) or SMILES list (``.smi``/``.txt``, optionally ``.gz``; first field per line).
        name (str): display name.
        task_type (str, optional): ``"classification"`` or ``"regression"`` for labelled data.
        limit (int, optional): keep only the first ``limit`` input rows (cached separately).
        strict (bool): raise on the first invalid SMILES instead of skipping it.
        num_workers (int, optional): featurization processes (see :func:`featurize_smiles`).
        show_progress (bool): progress bar while featurizing.
        featurizer (str): ``"ogb"`` (default) or ``"hu2020"``, see :mod:`graphcl.data.featurizers`
            (each has its own cache file).
    """

    def __init__(self, root: str | os.PathLike, raw_path: str | os.PathLike, name: str | None = None,
                 task_type: str | None = None, limit: int | None = None, strict: bool = False,
                 num_workers: int | None = None, show_progress: bool = True, transform=None,
                 featurizer: str = DEFAULT_FEATURIZER):
        check_positive_int("limit", limit, optional=True)
        self.featurizer = get_featurizer(featurizer).name
        self.raw_path = Path(raw_path).resolve()
        self.name = name or self.raw_path.name
        self.task_type = task_type
        self.limit = limit
        self.strict = strict
        self.num_workers = num_workers
        self.show_progress = show_progress
        processed = Path(root) / "processed"
        fingerprint = refresh_processed(processed, [self.raw_path])
        super().__init__(str(root), transform=transform)
        self.load(self.processed_paths[0])
        record_fingerprint(self.processed_dir, fingerprint)
        info = json.loads(Path(self.processed_paths[1]).read_text())
        self.task_names: list[str] = info["task_names"]
        self.invalid_smiles = InvalidSmilesReport(**info["invalid"])
        self.invalid_lines: list[int] = info["invalid_lines"]
        if self.invalid_smiles.count:
            if strict:
                line, smiles = self.invalid_smiles.examples[0]
                raise InvalidSmilesError(f"{self.raw_path.name} line {line}: invalid SMILES {smiles!r}.")
            warnings.warn(str(self.invalid_smiles), stacklevel=2)
            logger.info("%s", self.invalid_smiles)

    @property
    def raw_dir(self) -> str:
        return str(self.raw_path.parent)

    @property
    def raw_file_names(self) -> list[str]:
        return [self.raw_path.name]

    @property
    def processed_file_names(self) -> list[str]:
        suffix = "" if self.limit is None else f"_first{self.limit}"
        if self.featurizer != DEFAULT_FEATURIZER:
            suffix += f"_{self.featurizer}"
        return [f"data{suffix}.pt", f"info{suffix}.json"]

    def download(self) -> None:
        raise DatasetNotFoundError(f"{self.raw_path} does not exist.")

    @property
    def num_tasks(self) -> int:
        """Number of label columns (0 for an unlabelled corpus)."""
        return len(self.task_names)

    @property
    def smiles(self) -> list[str]:
        """SMILES of every molecule, in dataset order."""
        return list(self._data.smiles)

    def process(self) -> None:
        smiles, labels, task_names, lines = read_smiles_file(self.raw_path, self.limit,
                                                             labelled=self.task_type is not None)
        data, slices, valid = featurize_smiles(smiles, num_workers=self.num_workers,
                                               show_progress=self.show_progress, featurizer=self.featurizer)
        invalid = np.flatnonzero(~valid)
        report = InvalidSmilesReport(
            source=self.raw_path.name, total=len(smiles), count=int(invalid.size),
            examples=[(int(lines[i]), str(smiles[i])) for i in invalid[:REPORT_EXAMPLES]],
        )
        if self.strict and invalid.size:
            i = int(invalid[0])
            raise InvalidSmilesError(f"{self.raw_path.name} line {lines[i]}: invalid SMILES {smiles[i]!r}.")
        if valid.sum() == 0:
            raise ValueError(f"{self.raw_path}: none of the {len(smiles)} SMILES could be featurized.")
        count = int(valid.sum())
        data.smiles = [s.strip() for s, ok in zip(smiles, valid) if ok]
        slices["smiles"] = torch.arange(count + 1)
        if labels is not None:
            data.y = torch.from_numpy(labels[valid]).to(torch.float32)
            slices["y"] = torch.arange(count + 1)
        # the layout InMemoryDataset.load reads, written atomically
        atomic_save((data.to_dict(), slices, Data), self.processed_paths[0])
        atomic_write_json(self.processed_paths[1], {
            "task_names": task_names, "invalid": asdict(report),
            "invalid_lines": [int(lines[i]) for i in invalid],
        })

    def __repr__(self) -> str:
        return f"{self.name}({len(self)})"


def _open_text(path: Path):
    return gzip.open(path, "rt") if path.suffix == ".gz" else open(path)


def read_smiles_file(path: str | os.PathLike, limit: int | None = None, labelled: bool = True):
    """Read SMILES (and, with ``labelled``, the label columns of a CSV) from a CSV or a SMILES list.

    Returns:
        (smiles, labels, task_names, lines): labels is a float array ``[M, T]`` (NaN = missing) or
        ``None``; lines are the 1-based line numbers of the rows.
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetNotFoundError(f"SMILES file not found: {path}")
    suffixes = [s.lower() for s in path.suffixes]
    if ".csv" in suffixes:
        return _read_csv(path, limit, labelled)
    smiles, lines = [], []
    with _open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            fields = line.split()
            if not fields:
                continue
            if number == 1 and fields[0].lower() in SMILES_COLUMNS:
                continue  # header line
            smiles.append(fields[0])
            lines.append(number)
            if limit is not None and len(smiles) >= limit:
                break
    if not smiles:
        raise ValueError(f"{path} is empty: no SMILES found.")
    return smiles, None, [], lines


def _read_csv(path: Path, limit: int | None, labelled: bool = True):
    import pandas as pd

    try:
        frame = pd.read_csv(path, nrows=limit)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path} is empty.") from None
    columns = {str(c).strip().lower(): c for c in frame.columns}
    smiles_column = next((columns[c] for c in SMILES_COLUMNS if c in columns), None)
    if smiles_column is None:
        raise ValueError(f"{path} has no SMILES column (expected one named {' or '.join(SMILES_COLUMNS)!r}); "
                         f"columns: {list(frame.columns)}.")
    task_names = [str(c) for c in frame.columns if c != smiles_column] if labelled else []
    if labelled and not task_names:
        raise ValueError(f"{path} has no label column besides {smiles_column!r}.")
    if len(frame) == 0:
        raise ValueError(f"{path} has a header but no rows.")
    smiles = [s if isinstance(s, str) else "" for s in frame[smiles_column].tolist()]
    lines = list(range(2, len(frame) + 2))
    if not labelled:
        return smiles, None, [], lines
    labels = frame[task_names]
    bad = [c for c in task_names if not pd.api.types.is_numeric_dtype(labels[c])]
    if bad:
        raise ValueError(f"{path}: label column(s) {bad} are not numeric.")
    return smiles, labels.to_numpy(dtype=np.float32), task_names, lines


def moleculenet_name(name: str) -> str:
    """The canonical MoleculeNet name for ``name`` (case-insensitive), or ValueError."""
    if not isinstance(name, str):
        raise TypeError(f"Dataset name must be a string, got {type(name).__name__}.")
    lookup = {k.lower(): k for k in MOLECULENET_TASKS}
    lookup.update(_ALIASES)
    key = name.strip().lower()
    if key not in lookup:
        raise ValueError(f"Unknown MoleculeNet dataset {name!r}; choose one of {sorted(MOLECULENET_TASKS)}.")
    return lookup[key]


def moleculenet_csv(name: str, root: str | os.PathLike | None = None) -> tuple[Path, str, str]:
    """The raw CSV of a MoleculeNet task in the data root (copied from the mirror when needed).

    Returns:
        (path, canonical name, task type ``"classification"`` or ``"regression"``).
    """
    canonical = moleculenet_name(name)
    stem, task_type = MOLECULENET_TASKS[canonical]
    raw_dir = data_root(root) / "MoleculeNet" / canonical / "raw"
    candidates = [f"{stem}.csv", f"{stem}.csv.gz"]
    for candidate in candidates:
        if copy_from_mirror("MoleculeNet", [candidate], raw_dir):
            return raw_dir / candidate, canonical, task_type
    raise DatasetNotFoundError(missing_message(canonical, raw_dir, [" or ".join(candidates)], "MoleculeNet"))


def load_moleculenet(name: str, root: str | os.PathLike | None = None, strict: bool = False,
                     num_workers: int | None = None, show_progress: bool = True,
                     featurizer: str = DEFAULT_FEATURIZER) -> MoleculeDataset:
    """Load a MoleculeNet task from its chemprop-layout CSV (``MoleculeNet/<name>.csv[.gz]``).

    Args:
        name (str): BBBP, Tox21, ToxCast, SIDER, ClinTox, MUV, HIV, BACE, ESOL, FreeSolv or
            Lipophilicity (case-insensitive).
        root (str, optional): data root (default: :func:`graphcl.data.data_root`).
        strict (bool): raise :class:`InvalidSmilesError` (with the line number) on an invalid SMILES
            instead of skipping and reporting it.
        featurizer (str): ``"ogb"`` (default) or ``"hu2020"``.

    Returns:
        MoleculeDataset: with ``.num_tasks``, ``.task_type``, ``.task_names``, ``.smiles`` and
        ``.invalid_smiles``.
    """
    raw_path, canonical, task_type = moleculenet_csv(name, root)
    return MoleculeDataset(raw_path.parent.parent, raw_path, name=canonical, task_type=task_type, strict=strict,
                           num_workers=num_workers, show_progress=show_progress, featurizer=featurizer)


def load_smiles_corpus(name_or_path: str | os.PathLike = "zinc250k", root: str | os.PathLike | None = None,
                       limit: int | None = None, strict: bool = False, num_workers: int | None = None,
                       show_progress: bool = True, featurizer: str = DEFAULT_FEATURIZER) -> MoleculeDataset:
    """Load an unlabelled SMILES corpus for pretraining, featurized like :func:`load_moleculenet`.

    Args:
        name_or_path (str): ``"zinc250k"`` (``ZINC/zinc250k_smiles.txt.gz`` in the mirror) or a path
            to a ``.smi``/``.txt``/``.txt.gz`` file (first field of each line) or a ``.csv`` with a
            ``smiles`` column.
        root (str, optional): data root (default: :func:`graphcl.data.data_root`).
        limit (int, optional): only the first ``limit`` molecules (its own cache entry).
        strict (bool): raise on an invalid SMILES instead of skipping and reporting it.
        featurizer (str): ``"ogb"`` (default) or ``"hu2020"``.
    """
    base = data_root(root)
    if str(name_or_path).lower() == "zinc250k":
        raw_dir = base / "ZINC" / "raw"
        file = "zinc250k_smiles.txt.gz"
        if not copy_from_mirror("ZINC", [file], raw_dir):
            raise DatasetNotFoundError(missing_message("zinc250k", raw_dir, [file], "ZINC"))
        return MoleculeDataset(base / "ZINC", raw_dir / file, name="zinc250k", limit=limit, strict=strict,
                               num_workers=num_workers, show_progress=show_progress, featurizer=featurizer)
    path = Path(name_or_path).expanduser().resolve()
    if not path.is_file():
        raise DatasetNotFoundError(f"SMILES corpus {str(name_or_path)!r} is neither 'zinc250k' nor an existing file.")
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    cache = base / "smiles_corpus" / f"{path.name.split('.')[0]}-{digest}"
    return MoleculeDataset(cache, path, name=path.name, limit=limit, strict=strict, num_workers=num_workers,
                           show_progress=show_progress, featurizer=featurizer)

