"""Substitution rules: RDKit reaction SMARTS that swap a functional group for a bioisostere.

The rule format is MoCL's (Sun et al., KDD 2021, https://arxiv.org/abs/2106.04509): a JSON list of
``{"name", "smarts", "tags"}`` objects, each ``smarts`` a single-reactant reaction ``LHS>>RHS`` with atom
maps; atoms of the left side without a map are removed, mapped atoms keep their other bonds. The rules
shipped here (``default_rules()``) are the project's own; an optional ``"example"`` SMILES shows one
molecule each rule applies to.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Sequence


@dataclass(frozen=True)
class Rule:
    """One substitution rule.

    Attributes:
        name (str): unique name.
        smarts (str): reaction SMARTS ``LHS>>RHS`` with one reactant and one product template.
        tags (tuple of str): families, e.g. ``("isostere", "carboxylic acid")``.
        example (str, optional): a SMILES the rule applies to.
    """

    name: str
    smarts: str
    tags: tuple[str, ...] = ()
    example: str | None = None
    _compiled: list = field(default_factory=list, repr=False, compare=False, hash=False)

    @property
    def reaction(self):
        """The compiled :class:`rdkit.Chem.rdChemReactions.ChemicalReaction` (built once)."""
        if not self._compiled:
            self._compiled.append(compile_reaction(self.smarts, self.name))
        return self._compiled[0]

    @property
    def template(self):
        """The left-hand side as a query molecule, for substructure tests."""
        return self.reaction.GetReactantTemplate(0)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "smarts": self.smarts, "tags": list(self.tags)}
        if self.example is not None:
            out["example"] = self.example
        return out


def compile_reaction(smarts: str, name: str = "?"):
    """Parse and check a single-reactant, single-product reaction SMARTS."""
    from rdkit.Chem import rdChemReactions
    from rdkit.rdBase import BlockLogs

    if not isinstance(smarts, str) or ">>" not in smarts:
        raise ValueError(f"rule {name!r}: smarts must be a reaction 'LHS>>RHS', got {smarts!r}")
    blocker = BlockLogs()
    try:
        reaction = rdChemReactions.ReactionFromSmarts(smarts)
    except Exception as error:  # RDKit raises ValueError or its own types depending on the version
        raise ValueError(f"rule {name!r}: invalid reaction SMARTS {smarts!r}: {error}") from None
    finally:
        del blocker
    if reaction is None:
        raise ValueError(f"rule {name!r}: invalid reaction SMARTS {smarts!r}")
    if reaction.GetNumReactantTemplates() != 1 or reaction.GetNumProductTemplates() != 1:
        raise ValueError(f"rule {name!r}: expected one reactant and one product template in {smarts!r}")
    reaction.Initialize()
    return reaction


def _parse_rules(entries: Any, source: str) -> list[Rule]:
    if not isinstance(entries, list):
        raise ValueError(f"{source}: expected a JSON list of rules, got {type(entries).__name__}")
    rules, names = [], set()
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict) or "smarts" not in entry:
            raise ValueError(f"{source}: rule #{position} must be an object with at least 'smarts'")
        name = str(entry.get("name", f"rule_{position}"))
        if name in names:
            raise ValueError(f"{source}: duplicate rule name {name!r}")
        names.add(name)
        tags = entry.get("tags", [])
        if isinstance(tags, str):
            tags = [tags]
        rule = Rule(name=name, smarts=entry["smarts"], tags=tuple(str(t) for t in tags),
                    example=entry.get("example"))
        rule.reaction  # fail early, naming the rule
        rules.append(rule)
    if not rules:
        raise ValueError(f"{source}: no rules")
    return rules


def load_rules(path: str | os.PathLike) -> list[Rule]:
    """Read rules from a JSON file in MoCL's format ``[{"name", "smarts", "tags"}, ...]``.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        ValueError: if the file is not such a list or a SMARTS does not parse.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"rule file not found: {path}")
    try:
        entries = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON ({error})") from None
    return _parse_rules(entries, str(path))


def default_rules() -> list[Rule]:
    """The rule set shipped with graphcl: carboxylic-acid, amide, ester, ketone, aromatic-ring, t-butyl and
    halogen isosteres and add/drop-carbon rules."""
    text = resources.files("graphcl.augment").joinpath("rules/isosteres.json").read_text()
    return _parse_rules(json.loads(text), "graphcl default rules")


def as_rules(rules: Sequence[Rule] | str | os.PathLike | None) -> list[Rule]:
    """Rules from a list, a JSON path, or ``None`` (the default set)."""
    if rules is None:
        return default_rules()
    if isinstance(rules, (str, os.PathLike)):
        return load_rules(rules)
    rules = list(rules)
    if not rules or not all(isinstance(rule, Rule) for rule in rules):
        raise TypeError("rules must be a non-empty list of Rule, a JSON path, or None")
    return rules


def rules_fingerprint(rules: Iterable[Rule]) -> str:
    """A hash identifying a rule list (names and SMARTS, in order)."""
    digest = hashlib.sha256()
    for rule in rules:
        digest.update(rule.name.encode())
        digest.update(b"\0")
        digest.update(rule.smarts.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def clean_product(product) -> str | None:
    """Canonical SMILES of a reaction product, or ``None`` when it cannot be sanitized and re-read."""
    from rdkit import Chem

    try:
        Chem.SanitizeMol(product)
        smiles = Chem.MolToSmiles(product)
    except Exception:  # RDKit signals valence/kekulization problems with several exception types
        return None
    mol = Chem.MolFromSmiles(smiles)
    if mol is None or mol.GetNumAtoms() == 0:
        return None
    return Chem.MolToSmiles(mol)


def raw_products(rule: Rule, mol, max_products: int = 100) -> list:
    """Every product (unsanitized) of applying ``rule`` once to ``mol``, one per match."""
    return [outcome[0] for outcome in rule.reaction.RunReactants((mol,), max_products)]


def apply_rule(rule: Rule, smiles_or_mol, max_products: int = 100) -> list[str]:
    """The distinct sanitizable products (canonical SMILES) of one application of ``rule``."""
    from rdkit import Chem
    from rdkit.rdBase import BlockLogs

    mol = Chem.MolFromSmiles(smiles_or_mol) if isinstance(smiles_or_mol, str) else smiles_or_mol
    if mol is None:
        raise ValueError(f"invalid SMILES: {smiles_or_mol!r}")
    blocker = BlockLogs()
    products = []
    for product in raw_products(rule, mol, max_products):
        smiles = clean_product(product)
        if smiles is not None and smiles not in products:
            products.append(smiles)
    del blocker
    return products
