"""Substitution rules, applicability index and DK-k augmentation."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch_geometric.data import Batch

from graphcl.augment import (Rule, SubstructureSubstitution, build_applicability_index, default_rules,
                             load_rules)
from graphcl.augment.chemistry import apply_rule, smiles_to_data

Chem = pytest.importorskip("rdkit.Chem")

MOLECULES = [
    "CC(C)(C)c1ccc2occ(CC(=O)Nc3ccccc3F)c2c1",
    "N#Cc1ccc(-c2ccc(O[C@@H](C(=O)N3CCCC3)c3ccccc3)cc2)cc1",
    "CCOC(=O)[C@@H]1CCCN(C(=O)c2nc(-c3ccc(C)cc3)n3c2CCCCC3)C1",
    "OC(=O)Cc1ccc(Cl)cc1",
    "CC(=O)c1ccc(OC)cc1",
    "C",
    "O",
    "c1ccncc1",
]
RULES = default_rules()


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_default_rule_set_size_and_families():
    assert len(RULES) >= 60
    assert len({rule.name for rule in RULES}) == len(RULES)
    tags = {tag for rule in RULES for tag in rule.tags}
    for family in ("carboxylic acid", "amide", "ester", "ketone", "phenyl", "aromatic ring", "t-butyl", "halogen",
                   "add c", "drop c"):
        assert family in tags, family
    assert all(rule.tags and rule.example for rule in RULES)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.name)
def test_every_default_rule_applies_to_its_example(rule):
    mol = Chem.MolFromSmiles(rule.example)
    assert mol is not None and mol.HasSubstructMatch(rule.template)
    products = apply_rule(rule, mol)
    assert products, f"{rule.name} produced no valid product from {rule.example}"
    for product in products:
        parsed = Chem.MolFromSmiles(product)
        assert parsed is not None and Chem.MolToSmiles(parsed) == product
        assert product != Chem.MolToSmiles(mol)


def test_load_rules_mocl_format(mirror):
    rules = load_rules(mirror / "MoCL" / "isostere_transformations_new.json")
    assert len(rules) == 230
    assert rules[0].name and rules[0].tags
    assert all(rule.reaction.GetNumReactantTemplates() == 1 for rule in rules)


def test_load_rules_errors(tmp_path: Path):
    with pytest.raises(FileNotFoundError):
        load_rules(tmp_path / "missing.json")
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_rules(bad_json)
    not_list = tmp_path / "dict.json"
    not_list.write_text(json.dumps({"name": "x"}))
    with pytest.raises(ValueError, match="list"):
        load_rules(not_list)
    bad_smarts = tmp_path / "smarts.json"
    bad_smarts.write_text(json.dumps([{"name": "broken", "smarts": "[C:1](>>[C:1]", "tags": []}]))
    with pytest.raises(ValueError, match="broken"):
        load_rules(bad_smarts)
    no_arrow = tmp_path / "arrow.json"
    no_arrow.write_text(json.dumps([{"name": "flat", "smarts": "CC", "tags": []}]))
    with pytest.raises(ValueError, match="flat"):
        load_rules(no_arrow)
    good = tmp_path / "good.json"
    good.write_text(json.dumps([{"name": "cl_to_br", "smarts": "[c:1]Cl>>[c:1]Br", "tags": ["Halogen"]}]))
    assert load_rules(good)[0].tags == ("Halogen",)


def test_applicability_index_matches_direct_matching_and_caches(tmp_path: Path):
    smiles = MOLECULES + ["not a smiles"]
    index = build_applicability_index(smiles, RULES, cache_dir=tmp_path, show_progress=False)
    assert not index.from_cache and index.invalid.tolist() == [len(MOLECULES)]
    for i, s in enumerate(MOLECULES):
        mol = Chem.MolFromSmiles(s)
        expected = [j for j, rule in enumerate(RULES) if mol.HasSubstructMatch(rule.template)]
        assert index.rules_of(i) == expected
    assert index.rules_of(len(MOLECULES)) == []
    assert index.rules_of(MOLECULES.index("C")) == []
    acid_rules = {i for i, rule in enumerate(RULES) if "carboxylic acid" in rule.tags}
    assert acid_rules <= set(index.rules_of(MOLECULES.index("OC(=O)Cc1ccc(Cl)cc1")))
    files = list(tmp_path.glob("applicability-*.pt"))
    assert len(files) == 1
    again = build_applicability_index(smiles, RULES, cache_dir=tmp_path, show_progress=False)
    assert again.from_cache and torch.equal(again.indices, index.indices) and torch.equal(again.indptr, index.indptr)
    other = build_applicability_index(smiles, RULES[:10], cache_dir=tmp_path, show_progress=False)
    assert not other.from_cache and other.key != index.key
    assert 0 < index.coverage() < 1 and index.rule_frequency().sum() == index.indices.numel()


def test_same_seed_same_views_and_different_seeds_differ():
    def views(seed: int, k: int) -> list[str]:
        aug = SubstructureSubstitution(RULES, k=k, generator=gen(seed)).fit(MOLECULES, show_progress=False)
        return [aug(s) for s in MOLECULES for _ in range(3)]

    assert views(0, 1) == views(0, 1)
    assert views(0, 3) == views(0, 3)
    assert views(0, 1) != views(1, 1)


def test_dk_k_products_are_valid_and_unchanged_when_nothing_applies():
    aug = SubstructureSubstitution(RULES, k=1, generator=gen(0))
    deep = SubstructureSubstitution(RULES, k=3, generator=gen(0))
    for s in MOLECULES:
        assert Chem.MolFromSmiles(deep(s)) is not None
        out = aug(s)
        assert Chem.MolFromSmiles(out) is not None
        if s in ("C", "O"):
            assert out == s
        else:
            assert out != Chem.MolToSmiles(Chem.MolFromSmiles(s))
    assert aug.stats["molecules"] == len(MOLECULES)
    assert aug.stats["unchanged"] == 2 and aug.stats["no_applicable_rule"] >= 2
    assert aug.stats["substitutions"] == len(MOLECULES) - 2
    assert deep.stats["substitutions"] > len(MOLECULES)


def test_rejected_products_are_counted_and_another_rule_is_tried():
    broken = Rule("aryl_chloride_to_carbonyl", "[c:1]-[Cl]>>[c:1]=O", ("test",))
    working = Rule("aryl_chloride_to_bromide", "[c:1]-[Cl]>>[c:1]Br", ("test",))
    aug = SubstructureSubstitution([broken, working], generator=gen(0))
    outs = {aug("Clc1ccccc1") for _ in range(10)}
    assert outs == {"Brc1ccccc1"}
    assert aug.stats["rejected_products"] > 0
    only_broken = SubstructureSubstitution([broken], generator=gen(0))
    assert only_broken("Clc1ccccc1") == "Clc1ccccc1" and only_broken.stats["unchanged"] == 1


def test_data_and_batch_are_featurized_like_ogb():
    from ogb.utils import smiles2graph

    aug = SubstructureSubstitution(RULES, generator=gen(0))
    data = smiles_to_data(MOLECULES[3])
    data.y = torch.tensor([[1.0, float("nan")]])
    out = aug(data)
    assert out.x.dtype == torch.long and out.x.size(1) == 9 and out.edge_attr.size(1) == 3
    graph = smiles2graph(out.smiles)
    assert torch.equal(out.x, torch.from_numpy(graph["node_feat"]).long())
    assert torch.equal(out.edge_index, torch.from_numpy(graph["edge_index"]).long())
    assert torch.equal(out.edge_attr, torch.from_numpy(graph["edge_feat"]).long())
    assert torch.equal(out.y.isnan(), data.y.isnan()) and data.smiles == MOLECULES[3]
    batch = Batch.from_data_list([smiles_to_data(s) for s in MOLECULES[:4]])
    views = aug(batch)
    assert isinstance(views, Batch) and views.num_graphs == 4
    assert [g.num_nodes for g in views.to_data_list()] == [Chem.MolFromSmiles(s).GetNumAtoms() for s in views.smiles]


def test_hu2020_views_carry_the_two_feature_columns_of_their_new_molecules():
    """Views of a hu2020 substitution: atom type = atomic number - 1, bond type index, read from RDKit."""
    aug = SubstructureSubstitution(RULES, generator=gen(0), featurizer="hu2020")
    batch = Batch.from_data_list([smiles_to_data(s, "hu2020") for s in MOLECULES[:4]])
    views = aug(batch)
    assert views.x.size(1) == 2 and views.edge_attr.size(1) == 2
    single = aug(smiles_to_data(MOLECULES[3], "hu2020"))
    for graph in [*views.to_data_list(), single]:
        assert graph.x.size(1) == 2 and graph.edge_attr.size(1) == 2  # OGB's would be 9 and 3
        mol = Chem.MolFromSmiles(graph.smiles)
        assert graph.x[:, 0].tolist() == [atom.GetAtomicNum() - 1 for atom in mol.GetAtoms()]
        kinds = {"SINGLE": 0, "DOUBLE": 1, "TRIPLE": 2, "AROMATIC": 3}
        expected = {(b.GetBeginAtomIdx(), b.GetEndAtomIdx()): kinds[str(b.GetBondType())] for b in mol.GetBonds()}
        for (i, j), attr in zip(graph.edge_index.t().tolist(), graph.edge_attr.tolist()):
            assert attr[0] == expected.get((i, j), expected.get((j, i)))
    with pytest.raises(ValueError, match="featurizer"):
        SubstructureSubstitution(RULES, featurizer="morgan")


def test_bad_inputs():
    with pytest.raises(ValueError, match="k must be"):
        SubstructureSubstitution(RULES, k=0)
    aug = SubstructureSubstitution(RULES)
    with pytest.raises(ValueError, match="invalid SMILES"):
        aug("C1CC")
    with pytest.raises(TypeError):
        aug(42)
    with pytest.raises(ValueError, match="smiles"):
        aug(smiles_to_data("CCO").__class__(x=torch.zeros(2, 9, dtype=torch.long)))
    with pytest.raises(TypeError):
        SubstructureSubstitution([])
