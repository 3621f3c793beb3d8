"""Reading the user's molecule tables: a CSV with a SMILES column and optional target columns.

The conventions are chemprop's (Yang et al., "Analyzing Learned Molecular Representations for Property
Prediction", J. Chem. Inf. Model. 2019): one molecule per row, a SMILES column, one column per target, an
empty cell for a missing label.
"""
from __future__ import annotations

import gzip
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from graphcl.data.molecules import SMILES_COLUMNS

#: Invalid or non-numeric cells listed by an error message.
SHOWN = 5


@dataclass
class MoleculeTable:
    """Molecules read from a file, in file order.

    Attributes:
        smiles (list of str): one per data row (``""`` for an empty cell).
        lines (list of int): 1-based line of each row in the file (a CSV header is line 1).
        smiles_column (str): the SMILES column (``None`` for a SMILES list).
        target_columns (list of str): target names (empty without targets).
        targets (array ``[n, tasks]``, optional): float targets, NaN where the cell is empty.
        frame: the CSV as strings, exactly as read (``None`` for a SMILES list).
    """

    source: str
    smiles: list[str]
    lines: list[int]
    smiles_column: str | None = None
    target_columns: list[str] = field(default_factory=list)
    targets: np.ndarray | None = None
    frame: object = None

    def __len__(self) -> int:
        return len(self.smiles)


def _is_csv(path: Path) -> bool:
    return ".csv" in [s.lower() for s in path.suffixes]


def find_smiles_column(columns: Sequence[str], requested: str | None, source: str) -> str:
    """``requested`` if it is a column, else (``requested=None``) a column named smiles or mol."""
    columns = [str(c) for c in columns]
    if requested is not None:
        if requested not in columns:
            raise ValueError(f"{source} has no SMILES column {requested!r}; columns: {columns}.")
        return requested
    lookup = {c.strip().lower(): c for c in columns}
    for name in SMILES_COLUMNS:
        if name in lookup:
            return lookup[name]
    raise ValueError(f"{source} has no SMILES column (looked for {' or '.join(SMILES_COLUMNS)!r}; name it with "
                     f"--smiles-column); columns: {columns}.")


def read_molecule_table(path: str | os.PathLike, smiles_column: str | None = None,
                        target_columns: Sequence[str] | None = None, with_targets: bool = True) -> MoleculeTable:
    """Read a CSV (``.csv``/``.csv.gz``) with a SMILES column and target columns, or a SMILES list.

    Args:
        path (str): the file. A ``.smi``/``.txt`` (optionally ``.gz``) file is a SMILES list (first field of
            each non-empty line; a first line ``smiles`` is a header); it has no targets.
        smiles_column (str, optional): the SMILES column (default: the column named ``smiles`` or ``mol``,
            any case).
        target_columns (list of str, optional): target columns (default: every other column).
        with_targets (bool): read targets (``False``: SMILES only, e.g. for prediction).

    Raises:
        FileNotFoundError: no such file.
        ValueError: an empty file, a missing column (named), or a target cell that is not a number (the
            column, line and value are named).
    """
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise FileNotFoundError(f"No such file: {path}")
    if not _is_csv(path):
        if with_targets and target_columns:
            raise ValueError(f"{source} is a SMILES list, not a CSV: it has no target columns.")
        return _read_smiles_list(path)
    import pandas as pd

    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=False)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{source} is empty.") from None
    frame.columns = [str(c) for c in frame.columns]
    if len(frame) == 0:
        raise ValueError(f"{source} has a header but no data rows.")
    column = find_smiles_column(frame.columns, smiles_column, source)
    smiles = [s.strip() for s in frame[column].tolist()]
    lines = list(range(2, len(frame) + 2))
    table = MoleculeTable(source=source, smiles=smiles, lines=lines, smiles_column=column, frame=frame)
    if not with_targets:
        return table
    if target_columns is None:
        target_columns = [c for c in frame.columns if c != column]
        if not target_columns:
            raise ValueError(f"{source} has no target column besides the SMILES column {column!r}.")
    else:
        target_columns = [str(c) for c in target_columns]
        if not target_columns:
            raise ValueError("target_columns is empty: name at least one target column.")
        missing = [c for c in target_columns if c not in frame.columns]
        if missing:
            raise ValueError(f"{source} has no target column(s) {missing}; columns: {list(frame.columns)}.")
        if column in target_columns:
            raise ValueError(f"the SMILES column {column!r} cannot also be a target column.")
        if len(set(target_columns)) != len(target_columns):
            raise ValueError(f"target columns repeat a name: {target_columns}.")
    table.target_columns = list(target_columns)
    table.targets = _numeric_targets(frame, table.target_columns, lines, source)
    return table


def _numeric_targets(frame, columns: list[str], lines: list[int], source: str) -> np.ndarray:
    import pandas as pd

    values = np.full((len(frame), len(columns)), np.nan, dtype=np.float64)
    for k, name in enumerate(columns):
        text = frame[name].str.strip()
        empty = text.eq("") | text.str.lower().isin(("nan", "na", "n/a"))
        numbers = pd.to_numeric(text.where(~empty), errors="coerce")
        bad = np.flatnonzero((numbers.isna() & ~empty).to_numpy())
        if bad.size:
            shown = ", ".join(f"line {lines[i]}: {text.iloc[i]!r}" for i in bad[:SHOWN])
            raise ValueError(f"{source}: target column {name!r} has {bad.size} non-numeric value(s) ({shown}); "
                             f"targets must be numbers, an empty cell marks a missing label.")
        column = numbers.to_numpy(dtype=np.float64)
        infinite = np.flatnonzero(np.isinf(column))
        if infinite.size:
            raise ValueError(f"{source}: target column {name!r} has infinite values (line {lines[infinite[0]]}).")
        values[:, k] = column
    return values


def _read_smiles_list(path: Path) -> MoleculeTable:
    opener = gzip.open if path.suffix == ".gz" else open
    smiles, lines = [], []
    with opener(path, "rt") as handle:
        for number, line in enumerate(handle, start=1):
            fields = line.split()
            if not fields:
                continue
            if not smiles and number == 1 and fields[0].lower() in SMILES_COLUMNS:
                continue  # header line
            smiles.append(fields[0])
            lines.append(number)
    if not smiles:
        raise ValueError(f"{path} is empty: no SMILES found.")
    return MoleculeTable(source=str(path), smiles=smiles, lines=lines)
