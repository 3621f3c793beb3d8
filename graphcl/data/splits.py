"""Dataset splits. Every split is a dict of long index tensors keyed ``"train"``, ``"valid"``, ``"test"``.

:func:`stratified_kfold` returns one dict per fold with keys ``"train"`` and ``"test"`` (the k-fold
protocol of graph classification has no validation part).
"""
from __future__ import annotations

from typing import Sequence

import torch


def _check_fractions(fractions: Sequence[float]) -> tuple[float, float, float]:
    fractions = tuple(float(f) for f in fractions)
    if len(fractions) != 3:
        raise ValueError(f"Expected three fractions (train, valid, test), got {len(fractions)}.")
    if any(not 0.0 <= f <= 1.0 for f in fractions):
        raise ValueError(f"Split fractions must lie in [0, 1], got {fractions}.")
    if abs(sum(fractions) - 1.0) > 1e-6:
        raise ValueError(f"Split fractions must sum to 1, got {fractions} (sum {sum(fractions)}).")
    return fractions


def scaffold(smiles: str, include_chirality: bool = True) -> str:
    """Bemis–Murcko scaffold SMILES of a molecule (RDKit ``MurckoScaffoldSmiles``)."""
    from rdkit import Chem
    from rdkit.Chem.Scaffolds import MurckoScaffold

    molecule = Chem.MolFromSmiles(smiles) if isinstance(smiles, str) else None
    if molecule is None:
        raise ValueError(f"Invalid SMILES {smiles!r}: cannot compute its scaffold.")
    return MurckoScaffold.MurckoScaffoldSmiles(mol=molecule, includeChirality=include_chirality)


def scaffold_split(smiles: Sequence[str], frac_train: float = 0.8, frac_valid: float = 0.1,
                   frac_test: float = 0.1, include_chirality: bool = True) -> dict[str, torch.Tensor]:
    """Deterministic Bemis–Murcko scaffold split (Bemis & Murcko, J. Med. Chem. 1996).

    The convention of Hu et al., "Strategies for Pre-training Graph Neural Networks" (ICLR 2020):
    molecules are grouped by scaffold; groups are ordered by (size, first index) descending, i.e.
    largest first and, among equal sizes, the group whose first molecule comes later first; groups fill
    train until it would exceed ``frac_train`` of the molecules, then valid, then test. A scaffold
    never spans two parts.

    Args:
        smiles (list of str): one SMILES per molecule (e.g. ``dataset.smiles``).
        frac_train, frac_valid, frac_test (float): fractions in [0, 1] summing to 1.
        include_chirality (bool): keep stereo in the scaffold (default: True, as in Hu et al.).

    Returns:
        dict: ``"train"``, ``"valid"``, ``"test"`` long tensors of indices, each sorted within a group.
    """
    frac_train, frac_valid, frac_test = _check_fractions((frac_train, frac_valid, frac_test))
    groups: dict[str, list[int]] = {}
    for index, text in enumerate(smiles):
        try:
            key = scaffold(text, include_chirality)
        except ValueError as error:
            raise ValueError(f"Molecule {index}: {error}") from None
        groups.setdefault(key, []).append(index)
    ordered = sorted(groups.values(), key=lambda members: (len(members), members[0]), reverse=True)
    n = len(smiles)
    train_cutoff, valid_cutoff = frac_train * n, (frac_train + frac_valid) * n
    parts: dict[str, list[int]] = {"train": [], "valid": [], "test": []}
    for members in ordered:
        if len(parts["train"]) + len(members) <= train_cutoff:
            parts["train"].extend(members)
        elif len(parts["train"]) + len(parts["valid"]) + len(members) <= valid_cutoff:
            parts["valid"].extend(members)
        else:
            parts["test"].extend(members)
    return {key: torch.tensor(value, dtype=torch.long) for key, value in parts.items()}


def random_split(n: int, fracs: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0,
                 generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
    """A random permutation of ``range(n)`` cut into train/valid/test by ``fracs``.

    Sizes are ``floor(frac_train * n)``, ``floor(frac_valid * n)`` and the rest. ``generator``, when
    given, is used instead of a fresh one seeded with ``seed``.
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValueError(f"n must be a non-negative int, got {n!r}.")
    frac_train, frac_valid, _ = _check_fractions(fracs)
    if generator is None:
        generator = torch.Generator().manual_seed(seed)
    permutation = torch.randperm(n, generator=generator)
    n_train, n_valid = int(frac_train * n), int(frac_valid * n)
    return {
        "train": permutation[:n_train],
        "valid": permutation[n_train:n_train + n_valid],
        "test": permutation[n_train + n_valid:],
    }


def stratified_kfold(labels, n_splits: int = 10, seed: int = 0) -> list[dict[str, torch.Tensor]]:
    """Stratified k-fold cross-validation (scikit-learn ``StratifiedKFold`` with shuffling).

    Args:
        labels (Tensor or array): one class label per sample.
        n_splits (int): number of folds (at least 2).
        seed (int): shuffling seed.

    Returns:
        list of dict: per fold, ``"train"`` and ``"test"`` long index tensors.
    """
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    labels = labels.cpu().numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
    labels = labels.reshape(-1)
    if not isinstance(n_splits, int) or n_splits < 2:
        raise ValueError(f"n_splits must be an int >= 2, got {n_splits!r}.")
    if labels.size < n_splits:
        raise ValueError(f"Cannot make {n_splits} folds from {labels.size} samples.")
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return [
        {"train": torch.from_numpy(train).long(), "test": torch.from_numpy(test).long()}
        for train, test in folds.split(np.zeros(labels.size), labels)
    ]
