r"""Molecule featurizers: SMILES to integer atom and bond features.

Two featurizations are used in the molecular pretraining literature, and numbers are comparable only between
runs that use the same one:

* ``"ogb"`` — OGB's :func:`ogb.utils.smiles2graph` (Hu et al., "Open Graph Benchmark", NeurIPS 2020):
  9 atom features and 3 bond features.
* ``"hu2020"`` — the featurization of Hu et al., "Strategies for Pre-training Graph Neural Networks"
  (ICLR 2020, https://arxiv.org/abs/1905.12265), used by GraphCL, JOAO, GraphMAE and Mole-BERT for transfer:
  2 atom features (atom type index ``atomic_number - 1`` in 0–117, with 119 reserved for a masked atom;
  chirality tag 0–3) and 2 bond features (bond type 0–3 for single/double/triple/aromatic, 4 reserved for
  self-loops and 5 for a masked bond; bond direction 0–2).

Every featurizer returns the dictionary layout of ``smiles2graph``: ``node_feat`` ``[N, F_atom]``,
``edge_index`` ``[2, E]`` (both directions of every bond), ``edge_feat`` ``[E, F_bond]``, ``num_nodes``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


class MoleculeFeaturizationError(ValueError):
    """A SMILES that cannot be featurized; the message says why."""


@dataclass(frozen=True)
class Featurizer:
    """A named SMILES featurizer.

    Attributes:
        name (str): ``"ogb"`` or ``"hu2020"``.
        num_atom_features (int): columns of ``x``.
        num_bond_features (int): columns of ``edge_attr``.
        atom_mask_token (tuple): the atom-feature row that stands for a masked atom.
        function (callable): ``mol -> graph dict`` for a parsed RDKit molecule.
    """

    name: str
    num_atom_features: int
    num_bond_features: int
    atom_mask_token: tuple
    function: Callable

    def __call__(self, smiles: str) -> dict:
        """Featurize one SMILES; raises :class:`MoleculeFeaturizationError` with the reason."""
        from rdkit import Chem

        if not isinstance(smiles, str) or not smiles.strip():
            raise MoleculeFeaturizationError("empty SMILES")
        mol = Chem.MolFromSmiles(smiles.strip())
        if mol is None:
            raise MoleculeFeaturizationError("RDKit could not parse the SMILES")
        if mol.GetNumAtoms() == 0:
            raise MoleculeFeaturizationError("the molecule has no atoms")
        return self.function(mol)

    def empty(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Empty ``(node_feat, edge_index, edge_feat)`` arrays of this featurizer's widths."""
        return (np.empty((0, self.num_atom_features), np.int64), np.empty((2, 0), np.int64),
                np.empty((0, self.num_bond_features), np.int64))


def _ogb(mol) -> dict:
    from ogb.utils.features import atom_to_feature_vector, bond_to_feature_vector

    x = np.asarray([atom_to_feature_vector(atom) for atom in mol.GetAtoms()], dtype=np.int64)
    edges, attrs = [], []
    for bond in mol.GetBonds():
        i, j = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        feature = bond_to_feature_vector(bond)
        edges += [(i, j), (j, i)]
        attrs += [feature, feature]
    return _graph(x, edges, attrs, 3)


#: Bond types of the hu2020 featurization (index = feature value); 4 = self-loop, 5 = masked bond.
HU2020_BOND_TYPES = ("SINGLE", "DOUBLE", "TRIPLE", "AROMATIC")
HU2020_SELF_LOOP_BOND = 4
HU2020_MASK_BOND = 5
HU2020_NUM_BOND_TYPES = 6
HU2020_BOND_DIRECTIONS = ("NONE", "ENDUPRIGHT", "ENDDOWNRIGHT")
HU2020_CHIRALITY = ("CHI_UNSPECIFIED", "CHI_TETRAHEDRAL_CW", "CHI_TETRAHEDRAL_CCW", "CHI_OTHER")
#: Atom types 0-117 (atomic numbers 1-118), 119 = masked atom.
HU2020_NUM_ATOM_TYPES = 120
HU2020_MASK_ATOM = 119


def _hu2020(mol) -> dict:
    rows = []
    for atom in mol.GetAtoms():
        number = atom.GetAtomicNum()
        if not 1 <= number <= 118:
            raise MoleculeFeaturizationError(f"hu2020 featurizer: atom {atom.GetSymbol()!r} (atomic number "
                                             f"{number}) has no atom type")
        chirality = str(atom.GetChiralTag())
        if chirality not in HU2020_CHIRALITY:
            raise MoleculeFeaturizationError(f"hu2020 featurizer: unsupported chirality tag {chirality}")
        rows.append((number - 1, HU2020_CHIRALITY.index(chirality)))
    edges, attrs = [], []
    for bond in mol.GetBonds():
        kind, direction = str(bond.GetBondType()), str(bond.GetBondDir())
        if kind not in HU2020_BOND_TYPES:
            raise MoleculeFeaturizationError(f"hu2020 featurizer: unsupported bond type {kind}")
        if direction not in HU2020_BOND_DIRECTIONS:
            raise MoleculeFeaturizationError(f"hu2020 featurizer: unsupported bond direction {direction}")
        feature = (HU2020_BOND_TYPES.index(kind), HU2020_BOND_DIRECTIONS.index(direction))
        i, j = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        edges += [(i, j), (j, i)]
        attrs += [feature, feature]
    return _graph(np.asarray(rows, dtype=np.int64), edges, attrs, 2)


def _graph(x: np.ndarray, edges: list, attrs: list, num_bond_features: int) -> dict:
    if edges:
        edge_index = np.asarray(edges, dtype=np.int64).T
        edge_feat = np.asarray(attrs, dtype=np.int64)
    else:
        edge_index = np.empty((2, 0), dtype=np.int64)
        edge_feat = np.empty((0, num_bond_features), dtype=np.int64)
    return {"node_feat": x, "edge_index": edge_index, "edge_feat": edge_feat, "num_nodes": len(x)}


FEATURIZERS: dict[str, Featurizer] = {
    "ogb": Featurizer("ogb", 9, 3, (118, 4, 11, 11, 9, 5, 5, 0, 0), _ogb),
    "hu2020": Featurizer("hu2020", 2, 2, (HU2020_MASK_ATOM, 0), _hu2020),
}
DEFAULT_FEATURIZER = "ogb"


def get_featurizer(name: str | Featurizer) -> Featurizer:
    """The featurizer called ``name`` (``"ogb"`` or ``"hu2020"``)."""
    if isinstance(name, Featurizer):
        return name
    if name not in FEATURIZERS:
        raise ValueError(f"unknown featurizer {name!r}; choose from {sorted(FEATURIZERS)}")
    return FEATURIZERS[name]


def featurizer_of(x_width: int, edge_width: int) -> str | None:
    """The featurizer whose widths are ``(x_width, edge_width)``, or ``None``."""
    for featurizer in FEATURIZERS.values():
        if (featurizer.num_atom_features, featurizer.num_bond_features) == (x_width, edge_width):
            return featurizer.name
    return None
