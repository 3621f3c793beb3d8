import pytest
import torch

from graphcl.data import load_moleculenet, random_split, scaffold, scaffold_split, stratified_kfold


def test_bbbp_scaffold_split_deterministic_and_disjoint(data_root):
    dataset = load_moleculenet("BBBP", show_progress=False)
    smiles = dataset.smiles
    split = scaffold_split(smiles)
    again = scaffold_split(list(smiles))
    assert all(torch.equal(split[k], again[k]) for k in ("train", "valid", "test"))

    everything = torch.cat([split["train"], split["valid"], split["test"]])
    assert torch.equal(everything.sort().values, torch.arange(len(smiles)))
    n = len(smiles)
    assert len(split["train"]) <= 0.8 * n and len(split["train"]) + len(split["valid"]) <= 0.9 * n
    assert len(split["train"]) > 0.75 * n and len(split["valid"]) > 0.05 * n and len(split["test"]) > 0.05 * n

    part_of = {}
    for part in ("train", "valid", "test"):
        for index in split[part].tolist():
            part_of.setdefault(scaffold(smiles[index]), set()).add(part)
    assert all(len(parts) == 1 for parts in part_of.values())


def test_scaffold_split_order_convention():
    # scaffolds: benzene {0, 1, 6}, acyclic {3, 4, 9}, cyclohexane {2, 8}, pyridine {5}, cyclopropane {7}
    smiles = ["c1ccccc1C", "c1ccccc1CC", "C1CCCCC1O", "CCO", "CCN", "c1ccncc1C", "c1ccccc1N", "C1CC1C",
              "C1CCCCC1N", "CC"]
    split = scaffold_split(smiles)
    # equal sizes: the group whose first index is larger comes first (acyclic before benzene)
    assert split["train"].tolist() == [3, 4, 9, 0, 1, 6, 2, 8]
    assert split["valid"].tolist() == [7] and split["test"].tolist() == [5]


def test_scaffold_split_errors():
    with pytest.raises(ValueError, match="Molecule 1"):
        scaffold_split(["CCO", "C1CC"])
    with pytest.raises(ValueError, match="sum to 1"):
        scaffold_split(["CCO"], 0.8, 0.1, 0.2)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        scaffold_split(["CCO"], 1.2, -0.1, -0.1)


def test_random_split_seeded_partition():
    a, b, c = random_split(101, seed=3), random_split(101, seed=3), random_split(101, seed=4)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["train"], c["train"])
    assert [len(a[k]) for k in ("train", "valid", "test")] == [80, 10, 11]
    assert torch.equal(torch.cat(list(a.values())).sort().values, torch.arange(101))
    with pytest.raises(ValueError):
        random_split(10, (0.5, 0.6, -0.1))


def test_stratified_kfold():
    labels = torch.tensor([0] * 30 + [1] * 10)
    folds = stratified_kfold(labels, n_splits=5, seed=0)
    assert len(folds) == 5
    tests = torch.cat([f["test"] for f in folds])
    assert torch.equal(tests.sort().values, torch.arange(40))
    for fold in folds:
        assert set(fold) == {"train", "test"}
        assert torch.bincount(labels[fold["test"]]).tolist() == [6, 2]
        assert len(set(fold["train"].tolist()) & set(fold["test"].tolist())) == 0
    assert all(torch.equal(f["test"], g["test"]) for f, g in zip(folds, stratified_kfold(labels, 5, seed=0)))
    with pytest.raises(ValueError):
        stratified_kfold(labels, n_splits=1)
