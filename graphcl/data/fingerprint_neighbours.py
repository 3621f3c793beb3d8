r"""Nearest neighbours of molecules by Tanimoto similarity of Morgan fingerprints, kept sparse.

MoCL (Sun et al., KDD 2021) uses each molecule's top-k most similar molecules as global knowledge. The
official code fills a dense :math:`n \times n` matrix in a Python double loop; here every row is computed
with RDKit's ``BulkTanimotoSimilarity`` in C++, rows are processed in chunks whose similarity block fits a
memory budget, and only the ``k`` best entries per row are kept (``[n, k]`` indices and similarities).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch
from torch import Tensor

from graphcl.utils.checks import check_positive_int


@dataclass
class FingerprintNeighbours:
    """Top-k Tanimoto neighbours of ``n`` molecules.

    Attributes:
        index (Tensor): long ``[n, k]``, neighbour indices sorted by decreasing similarity; ``-1`` pads rows
            of invalid molecules.
        similarity (Tensor): float ``[n, k]``, the matching Tanimoto similarities (0 where padded).
        invalid (list of int): molecules whose SMILES RDKit could not parse (no neighbours, never a neighbour).
        seconds (float): wall time of the computation.
        radius, n_bits (int): fingerprint settings.
    """

    index: Tensor
    similarity: Tensor
    invalid: list[int] = field(default_factory=list)
    seconds: float = math.nan
    radius: int = 3
    n_bits: int = 2048

    @property
    def k(self) -> int:
        return int(self.index.size(1))

    def __len__(self) -> int:
        return int(self.index.size(0))

    def edge_index(self) -> Tensor:
        """``[2, n*k]`` COO pairs ``(i, neighbour)`` without the padding."""
        rows = torch.arange(len(self)).repeat_interleave(self.k)
        cols = self.index.reshape(-1)
        keep = cols >= 0
        return torch.stack([rows[keep], cols[keep]])


def morgan_fingerprints(smiles: Sequence[str], radius: int = 3, n_bits: int = 2048):
    """RDKit Morgan bit vectors; ``None`` for SMILES that do not parse."""
    from rdkit import Chem, RDLogger
    from rdkit.Chem import rdFingerprintGenerator

    if radius < 0 or n_bits < 1:
        raise ValueError(f"radius must be >= 0 and n_bits >= 1, got radius={radius}, n_bits={n_bits}")
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)
    fingerprints = []
    RDLogger.DisableLog("rdApp.*")
    try:
        for text in smiles:
            if not isinstance(text, str):
                raise TypeError(f"SMILES must be strings, got {type(text).__name__}")
            mol = Chem.MolFromSmiles(text) if text else None
            fingerprints.append(generator.GetFingerprint(mol) if mol is not None else None)
    finally:
        RDLogger.EnableLog("rdApp.*")
    return fingerprints


def fingerprint_bits(smiles: Sequence[str], radius: int = 3, n_bits: int = 2048) -> Tensor:
    """Morgan fingerprints as a bool tensor ``[n, n_bits]`` (all-False rows for unparsable SMILES)."""
    from rdkit import DataStructs

    out = np.zeros((len(smiles), n_bits), dtype=np.uint8)
    for row, fingerprint in enumerate(morgan_fingerprints(smiles, radius, n_bits)):
        if fingerprint is not None:
            DataStructs.ConvertToNumpyArray(fingerprint, out[row])
    return torch.from_numpy(out.astype(bool))


def tanimoto_matrix(bits_a: Tensor, bits_b: Tensor) -> Tensor:
    """Tanimoto similarity between two sets of bit fingerprints, ``[a, n_bits] x [b, n_bits] -> [a, b]``.

    Used on small blocks (a training batch); two empty fingerprints have similarity 0.
    """
    a = bits_a.float()
    b = bits_b.float()
    intersection = a @ b.t()
    union = a.sum(1, keepdim=True) + b.sum(1).unsqueeze(0) - intersection
    return torch.where(union > 0, intersection / union.clamp(min=1), torch.zeros_like(intersection))


def tanimoto_neighbours(
    smiles: Sequence[str],
    k: int = 50,
    radius: int = 3,
    n_bits: int = 2048,
    include_self: bool = False,
    chunk_memory_mb: float = 64.0,
    on_invalid: str = "raise",
) -> FingerprintNeighbours:
    r"""Each molecule's ``k`` most Tanimoto-similar molecules, without a dense :math:`n \times n` matrix.

    Args:
        smiles (sequence of str): the molecules.
        k (int, optional): neighbours per molecule (capped at the number of other molecules). (default: 50)
        radius (int, optional): Morgan radius (3 in MoCL's code). (default: 3)
        n_bits (int, optional): fingerprint length. (default: 2048)
        include_self (bool, optional): keep the molecule itself as its first neighbour. (default: ``False``)
        chunk_memory_mb (float, optional): budget for one block of similarity rows. (default: 64)
        on_invalid (str, optional): ``"raise"`` on an unparsable SMILES, or ``"skip"`` (the molecule gets no
            neighbours, is listed in ``invalid``, and is never anyone's neighbour). (default: ``"raise"``)

    Ties are broken by the smaller index, so results are deterministic.
    """
    from rdkit import DataStructs

    if on_invalid not in ("raise", "skip"):
        raise ValueError(f"on_invalid must be 'raise' or 'skip', got {on_invalid!r}")
    check_positive_int("k", k)
    n = len(smiles)
    if n == 0:
        raise ValueError("no molecules given")
    started = time.perf_counter()
    fingerprints = morgan_fingerprints(smiles, radius, n_bits)
    invalid = [i for i, fp in enumerate(fingerprints) if fp is None]
    if invalid and on_invalid == "raise":
        shown = ", ".join(repr(smiles[i]) for i in invalid[:5])
        raise ValueError(f"{len(invalid)} SMILES could not be parsed (e.g. {shown}); pass on_invalid='skip'")
    valid = np.array([i for i, fp in enumerate(fingerprints) if fp is not None], dtype=np.int64)
    valid_fps = [fingerprints[i] for i in valid]
    m = len(valid)
    k_eff = min(k, m if include_self else max(m - 1, 0))
    index = np.full((n, k), -1, dtype=np.int64)
    similarity = np.zeros((n, k), dtype=np.float32)
    if k_eff > 0:
        # peak extra memory is about 3x the float32 block: the block and its int64 partition indices
        rows_per_chunk = max(1, int(chunk_memory_mb * 2**20 // (4 * max(m, 1))))
        order_key = np.arange(m)
        for start in range(0, m, rows_per_chunk):
            stop = min(m, start + rows_per_chunk)
            # negated similarities, so that ascending order is best-first
            block = np.empty((stop - start, m), dtype=np.float32)
            for row in range(start, stop):
                block[row - start] = DataStructs.BulkTanimotoSimilarity(valid_fps[row], valid_fps)
            np.negative(block, out=block)
            if not include_self:
                block[np.arange(stop - start), np.arange(start, stop)] = np.inf
            part = np.argpartition(block, k_eff - 1, axis=1)[:, :k_eff] if k_eff < m else \
                np.tile(order_key, (stop - start, 1))
            values = np.take_along_axis(block, part, axis=1)
            order = np.lexsort((part, values), axis=1)  # similarity desc, then index asc
            part = np.take_along_axis(part, order, axis=1)
            values = np.take_along_axis(values, order, axis=1)
            # argpartition may cut a tie arbitrarily: redo those rows exactly
            kth = values[:, -1]
            for local in np.nonzero((block <= kth[:, None]).sum(1) > k_eff)[0]:
                full = np.lexsort((order_key, block[local]))[:k_eff]
                part[local], values[local] = full, block[local, full]
            values = -values
            index[valid[start:stop], :k_eff] = valid[part]
            similarity[valid[start:stop], :k_eff] = values
    return FingerprintNeighbours(index=torch.from_numpy(index[:, :max(k_eff, 1)] if k_eff < k else index),
                                 similarity=torch.from_numpy(similarity[:, :max(k_eff, 1)] if k_eff < k
                                                             else similarity),
                                 invalid=invalid, seconds=time.perf_counter() - started, radius=radius,
                                 n_bits=n_bits)
