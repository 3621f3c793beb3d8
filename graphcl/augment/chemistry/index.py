"""Which rules apply to which molecule, computed once per dataset and cached on disk."""
from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import torch

from graphcl.augment.chemistry.rules import Rule, as_rules, rules_fingerprint
from graphcl.utils import atomic_save, load_checkpoint, progress

_FORMAT = 1


@dataclass
class ApplicabilityIndex:
    """A sparse molecule × rule table: ``indices[indptr[i]:indptr[i + 1]]`` are the rules whose left-hand
    side matches molecule ``i``.

    Attributes:
        smiles (list of str): the molecules, in dataset order.
        rule_names (list of str): the rules, in rule-list order.
        indptr (Tensor): row offsets, shape ``[num_molecules + 1]``.
        indices (Tensor): rule ids, shape ``[nnz]``.
        invalid (Tensor): ids of molecules whose SMILES RDKit could not parse (they have no rules).
        key (str): hash of the SMILES list and the rules, used as the cache key.
        seconds (float): time spent computing (0 when loaded from the cache).
    """

    smiles: list[str]
    rule_names: list[str]
    indptr: torch.Tensor
    indices: torch.Tensor
    invalid: torch.Tensor
    key: str
    seconds: float = 0.0
    from_cache: bool = False
    _rows: dict[str, int] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.smiles)

    def rules_of(self, i: int) -> list[int]:
        """Rule ids applicable to molecule ``i``."""
        return self.indices[int(self.indptr[i]):int(self.indptr[i + 1])].tolist()

    def row_of(self, smiles: str) -> int | None:
        """Position of ``smiles`` in the index (``None`` when absent)."""
        if not self._rows:
            self._rows = {s: i for i, s in reversed(list(enumerate(self.smiles)))}
        return self._rows.get(smiles)

    def counts(self) -> torch.Tensor:
        """Number of applicable rules per molecule, shape ``[num_molecules]``."""
        return self.indptr[1:] - self.indptr[:-1]

    def coverage(self) -> float:
        """Share of molecules with at least one applicable rule."""
        return float((self.counts() > 0).double().mean()) if len(self) else 0.0

    def rule_frequency(self) -> torch.Tensor:
        """Number of molecules each rule applies to, shape ``[num_rules]``."""
        return torch.bincount(self.indices, minlength=len(self.rule_names))


def index_key(smiles: Sequence[str], rules: Sequence[Rule]) -> str:
    """Cache key: SHA-256 over the SMILES list and the rules' names and SMARTS."""
    digest = hashlib.sha256()
    digest.update(f"format={_FORMAT}\n".encode())
    digest.update(rules_fingerprint(rules).encode())
    for s in smiles:
        digest.update(s.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def applicable_rules(mol, rules: Sequence[Rule]) -> list[int]:
    """Ids of the rules whose reactant template matches ``mol`` (an RDKit molecule)."""
    return [i for i, rule in enumerate(rules) if mol.HasSubstructMatch(rule.template)]


def build_applicability_index(smiles: Sequence[str], rules: Sequence[Rule] | str | os.PathLike | None = None,
                              cache_dir: str | os.PathLike | None = None,
                              show_progress: bool = True) -> ApplicabilityIndex:
    """Match every rule's left-hand side against every molecule (RDKit ``HasSubstructMatch``).

    With ``cache_dir`` the table is saved there (atomically) under a key that hashes the SMILES list and
    the rules, and reloaded on the next call with the same inputs.

    Args:
        smiles (sequence of str): the dataset's molecules.
        rules (list of Rule, path or None): rule set (default: :func:`default_rules`).
        cache_dir (path, optional): folder for the cached table. (default: :obj:`None`, no cache)
        show_progress (bool, optional): show a progress bar. (default: :obj:`True`)
    """
    from rdkit import Chem
    from rdkit.rdBase import BlockLogs

    rules = as_rules(rules)
    smiles = [str(s) for s in smiles]
    key = index_key(smiles, rules)
    path = Path(cache_dir) / f"applicability-{key[:24]}.pt" if cache_dir is not None else None
    if path is not None and path.is_file():
        stored = load_checkpoint(path)
        if stored.get("key") == key and stored.get("format") == _FORMAT:
            return ApplicabilityIndex(smiles, [r.name for r in rules], stored["indptr"], stored["indices"],
                                      stored["invalid"], key, 0.0, True)
    start = time.perf_counter()
    indptr, indices, invalid = [0], [], []
    blocker = BlockLogs()
    for i, s in enumerate(progress(smiles, enabled=show_progress, desc="rule applicability")):
        mol = Chem.MolFromSmiles(s)
        if mol is None:
            invalid.append(i)
        else:
            indices.extend(applicable_rules(mol, rules))
        indptr.append(len(indices))
    del blocker
    index = ApplicabilityIndex(smiles, [r.name for r in rules], torch.tensor(indptr, dtype=torch.long),
                               torch.tensor(indices, dtype=torch.long), torch.tensor(invalid, dtype=torch.long),
                               key, time.perf_counter() - start, False)
    if path is not None:
        atomic_save({"format": _FORMAT, "key": key, "indptr": index.indptr, "indices": index.indices,
                     "invalid": index.invalid, "rule_names": index.rule_names}, path)
    return index
