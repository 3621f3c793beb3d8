"""Result bookkeeping for benchmark runners: JSON lines per run and a mean ± std summary table."""
from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Iterable, Sequence

from graphcl.utils.io import atomic_write_text


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and population standard deviation (as the papers of this field report them)."""
    values = [float(v) for v in values]
    if not values:
        return math.nan, math.nan
    mean = sum(values) / len(values)
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))


def format_mean_std(values: Sequence[float], scale: float = 1.0, digits: int = 2) -> str:
    """``"82.31 ± 0.45"`` for ``values`` multiplied by ``scale``."""
    mean, std = mean_std([v * scale for v in values])
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def append_jsonl(path: str | os.PathLike, record: dict[str, Any]) -> Path:
    """Append one run's record to a JSON-lines file, rewriting the file atomically."""
    path = Path(path)
    existing = path.read_text() if path.is_file() else ""
    line = json.dumps(record, default=str) + "\n"
    return atomic_write_text(path, existing + line)


def read_jsonl(path: str | os.PathLike) -> list[dict[str, Any]]:
    """All records of a JSON-lines file (an empty list when it does not exist)."""
    path = Path(path)
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A GitHub-flavoured Markdown table."""
    lines = ["| " + " | ".join(str(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"
