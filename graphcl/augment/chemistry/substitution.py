"""Substructure substitution: MoCL's local domain-knowledge augmentation (Sun et al., KDD 2021,
https://arxiv.org/abs/2106.04509)."""
from __future__ import annotations

import os
from collections import Counter
from typing import Sequence

import numpy as np
import torch
from torch_geometric.data import Data

from graphcl.augment import _collation
from graphcl.augment._graph import field_levels, graph_keys, is_batch, new_like
from graphcl.augment.chemistry.index import ApplicabilityIndex, RuleMatcher, build_applicability_index
from graphcl.augment.chemistry.rules import Rule, as_rules, clean_product, raw_products
from graphcl.data.featurizers import DEFAULT_FEATURIZER, MoleculeFeaturizationError, get_featurizer
from graphcl.utils.checks import check_positive_int


def _featurize(smiles: str, featurizer: str = DEFAULT_FEATURIZER) -> dict:
    try:
        return get_featurizer(featurizer)(smiles)
    except MoleculeFeaturizationError as error:
        raise ValueError(f"cannot featurize SMILES {smiles!r}: {error}") from None


def smiles_to_data(smiles: str, featurizer: str = DEFAULT_FEATURIZER) -> Data:
    """One molecule as a graph: with ``featurizer="ogb"`` (OGB's ``smiles2graph`` features) ``x`` long
    ``[N, 9]`` and ``edge_attr`` long ``[E, 3]``; with ``"hu2020"`` ``[N, 2]`` and ``[E, 2]``
    (:mod:`graphcl.data.featurizers`); ``edge_index`` ``[2, E]`` both directions of every bond; plus ``smiles``."""
    graph = _featurize(smiles, featurizer)
    return Data(x=torch.from_numpy(graph["node_feat"]).long(),
                edge_index=torch.from_numpy(graph["edge_index"]).long(),
                edge_attr=torch.from_numpy(graph["edge_feat"]).long(), smiles=smiles)


class SubstructureSubstitution:
    r"""DK-:math:`k` augmentation: :math:`k` bioisosteric substitutions applied in sequence.

    Each step picks a random applicable rule and a random product of it; the product is sanitized and
    re-read by RDKit, and a product that fails (or equals the molecule) is rejected and another (product,
    then rule) is tried. A
    molecule where nothing applies comes back unchanged; when a later step finds nothing, the molecule of
    the previous step is kept. Which rules apply to a dataset's molecules can be precomputed with
    :meth:`fit` (cached on disk); molecules produced by earlier steps are matched on the fly.

    Inputs may be a SMILES string (a SMILES comes back), a :class:`~torch_geometric.data.Data` with a
    ``smiles`` attribute (a new ``Data`` featurized by ``featurizer``: OGB's ``x`` long ``[N, 9]``,
    ``edge_attr`` long ``[E, 3]`` by default; graph-level fields such as ``y`` are copied, other node/edge fields are
    dropped since the atoms changed), or a :class:`~torch_geometric.data.Batch` of those.

    Args:
        rules (list of Rule, path or None, optional): rule set; a path is read with
            :func:`~graphcl.augment.chemistry.load_rules`. (default: :obj:`None`, :func:`default_rules`)
        k (int, optional): number of substitutions in sequence. (default: :obj:`1`)
        generator (torch.Generator, optional): source of randomness. (default: :obj:`None`)
        max_products (int, optional): matches expanded per rule application. (default: :obj:`100`)
        featurizer (str, optional): features of the graphs it returns, ``"ogb"`` or ``"hu2020"``
            (:mod:`graphcl.data.featurizers`); match the encoder's. (default: :obj:`"ogb"`)

    Attributes:
        stats (Counter): ``molecules``, ``substitutions`` (successful steps), ``unchanged`` (molecules with
            no successful step), ``no_applicable_rule``, ``rejected_products`` (failed sanitization),
            ``identical_products`` (a product equal to its input, skipped),
            ``index_hits`` / ``index_misses`` (precomputed table used or not).
    """

    def __init__(self, rules: Sequence[Rule] | str | os.PathLike | None = None, k: int = 1,
                 generator: torch.Generator | None = None, max_products: int = 100,
                 featurizer: str = DEFAULT_FEATURIZER) -> None:
        check_positive_int("k", k)
        self.featurizer = get_featurizer(featurizer).name
        if max_products < 1:
            raise ValueError(f"max_products must be positive, got {max_products}")
        self.rules = as_rules(rules)
        self.k = k
        self.generator = generator
        self.max_products = max_products
        self.matcher = RuleMatcher(self.rules)
        self.index: ApplicabilityIndex | None = None
        self.stats: Counter = Counter()

    def fit(self, smiles: Sequence[str], cache_dir: str | os.PathLike | None = None,
            show_progress: bool = True) -> "SubstructureSubstitution":
        """Precompute (or load from ``cache_dir``) which rules apply to each of ``smiles``."""
        self.index = build_applicability_index(smiles, self.rules, cache_dir=cache_dir,
                                               show_progress=show_progress)
        return self

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(num_rules={len(self.rules)}, k={self.k}, featurizer={self.featurizer!r})"

    def _permutation(self, n: int) -> list[int]:
        return torch.randperm(n, generator=self.generator).tolist()

    def _candidates(self, smiles: str, mol, first_step: bool) -> list[int]:
        if first_step and self.index is not None:
            row = self.index.row_of(smiles)
            if row is not None:
                self.stats["index_hits"] += 1
                return self.index.rules_of(row)
            self.stats["index_misses"] += 1
        return self.matcher(mol)

    def substitute_once(self, mol, smiles: str, first_step: bool = True) -> tuple[str, object] | None:
        """One substitution step on an RDKit molecule; ``None`` when no rule yields a valid product."""
        from rdkit import Chem

        candidates = self._candidates(smiles, mol, first_step)
        current = Chem.MolToSmiles(mol)
        if not candidates:
            self.stats["no_applicable_rule"] += 1
            return None
        for position in self._permutation(len(candidates)):
            rule = self.rules[candidates[position]]
            products = raw_products(rule, mol, self.max_products)
            for choice in self._permutation(len(products)):
                product = clean_product(products[choice])
                if product is None:
                    self.stats["rejected_products"] += 1
                    continue
                if product == current:
                    self.stats["identical_products"] += 1
                    continue
                return product, Chem.MolFromSmiles(product)
        return None

    def augment_smiles(self, smiles: str) -> str:
        """The DK-:math:`k` view of one molecule, as canonical SMILES (the input when nothing applies).

        Raises:
            ValueError: if ``smiles`` cannot be parsed.
        """
        from rdkit import Chem
        from rdkit.rdBase import BlockLogs

        if not isinstance(smiles, str):
            raise TypeError(f"expected a SMILES string, got {type(smiles).__name__}")
        blocker = BlockLogs()
        mol = Chem.MolFromSmiles(smiles)
        if mol is None:
            del blocker
            raise ValueError(f"invalid SMILES: {smiles!r}")
        self.stats["molecules"] += 1
        current, steps = smiles, 0
        for step in range(self.k):
            result = self.substitute_once(mol, current, first_step=step == 0)
            if result is None:
                break
            current, mol = result
            steps += 1
        del blocker
        self.stats["substitutions"] += steps
        if steps == 0:
            self.stats["unchanged"] += 1
        return current

    def augment_data(self, data: Data) -> Data:
        """The DK-:math:`k` view of a molecule graph carrying ``data.smiles``, featurized by ``featurizer``."""
        smiles = getattr(data, "smiles", None)
        if not isinstance(smiles, str):
            raise ValueError("substructure substitution needs a 'smiles' string on each graph")
        new_smiles = self.augment_smiles(smiles)
        out = smiles_to_data(new_smiles, self.featurizer)
        node_fields, edge_fields = field_levels(data)
        skip = set(node_fields) | set(edge_fields) | {"edge_index", "num_nodes", "smiles"}
        for key, value in data.items():
            if key not in skip:
                out[key] = value
        return out

    def augment_batch(self, data: Data) -> Data:
        """The DK-:math:`k` views of a collated batch of molecule graphs carrying ``smiles``.

        The substitution and featurization run per molecule (RDKit); the new graphs are then collated
        with index arithmetic into a batch in the same order, with ``x``, ``edge_index``, ``edge_attr``,
        ``batch``, ``ptr``, the new ``smiles`` and the graph-level fields of ``data`` (other node/edge fields
        are dropped, as in :meth:`augment_data`); it separates with ``to_data_list``.
        """
        smiles = data.smiles if "smiles" in data else None
        if isinstance(smiles, str):
            smiles = [smiles]
        if not isinstance(smiles, (list, tuple)) or not all(isinstance(s, str) for s in smiles):
            raise ValueError("substructure substitution needs a 'smiles' string on each graph")
        new_smiles = [self.augment_smiles(s) for s in smiles]
        graphs = [_featurize(s, self.featurizer) for s in new_smiles]
        device = data.batch.device
        node_counts = torch.tensor([g["num_nodes"] for g in graphs], dtype=torch.long)
        edge_counts = torch.tensor([g["edge_index"].shape[1] for g in graphs], dtype=torch.long)
        ptr = torch.cat([node_counts.new_zeros(1), node_counts.cumsum(0)])
        edge_ptr = torch.cat([edge_counts.new_zeros(1), edge_counts.cumsum(0)])
        num_graphs = len(graphs)
        edge_index = torch.from_numpy(np.concatenate([g["edge_index"] for g in graphs], axis=1)).long()
        edge_index = edge_index + torch.repeat_interleave(ptr[:-1], edge_counts)
        node_fields, edge_fields = field_levels(data)
        kept_graph_keys = [key for key in graph_keys(data) if key != "smiles"]
        out = new_like(data)
        for key in set(node_fields + edge_fields) | {"num_nodes"}:
            if key in out:
                del out[key]
        out.x = torch.from_numpy(np.concatenate([g["node_feat"] for g in graphs])).long().to(device)
        out.edge_index = edge_index.to(device)
        out.edge_attr = torch.from_numpy(np.concatenate([g["edge_feat"] for g in graphs])).long().to(device)
        out.batch = torch.repeat_interleave(torch.arange(num_graphs), node_counts).to(device)
        out.ptr = ptr.to(device)
        out.smiles = new_smiles
        old_slices, old_increments = _collation.slices(data), _collation.increments(data)
        zeros = torch.zeros(num_graphs, dtype=torch.long)
        slices = {"x": ptr, "edge_index": edge_ptr, "edge_attr": edge_ptr, "smiles": torch.arange(num_graphs + 1)}
        increments = {"x": zeros, "edge_index": ptr[:-1], "edge_attr": zeros, "smiles": None}
        for key in kept_graph_keys:
            slices[key] = old_slices[key]
            increments[key] = old_increments.get(key)
        stored = _collation.stored_num_nodes(data)
        _collation.set_collation(out, slices, increments, num_graphs, None if stored is None else node_counts.tolist())
        return out

    def __call__(self, data):
        if isinstance(data, str):
            return self.augment_smiles(data)
        if is_batch(data):
            return self.augment_batch(data)
        if isinstance(data, Data):
            return self.augment_data(data)
        if isinstance(data, (list, tuple)) and all(isinstance(s, str) for s in data):
            return [self.augment_smiles(s) for s in data]
        raise TypeError(f"expected a SMILES, a list of SMILES, a Data or a Batch, got {type(data).__name__}")
