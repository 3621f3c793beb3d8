import gzip
import math

import pytest
import torch

from graphcl.data import (
    DatasetNotFoundError,
    InvalidSmilesError,
    load_moleculenet,
    load_smiles_corpus,
)
from graphcl.data.molecules import read_smiles_file


def _check_ogb_features(dataset):
    graph = dataset[0]
    assert graph.x.dtype == torch.long and graph.x.size(1) == 9
    assert graph.edge_attr.dtype == torch.long and graph.edge_attr.size(1) == 3
    assert graph.edge_index.size(1) == graph.edge_attr.size(0)
    assert isinstance(graph.smiles, str)


def test_bbbp(data_root):
    dataset = load_moleculenet("BBBP", show_progress=False)
    assert len(dataset) == 2039
    assert dataset.num_tasks == 1 and dataset.task_type == "classification"
    assert dataset.task_names == ["p_np"]
    assert dataset[0].y.shape == (1, 1) and dataset[0].y.dtype == torch.float32
    assert dataset.invalid_smiles.count == 0
    _check_ogb_features(dataset)
    assert len(dataset.smiles) == 2039


def test_bace_freesolv_and_aliases(data_root):
    from graphcl.data.molecules import moleculenet_name

    bace = load_moleculenet("bace", show_progress=False)
    assert len(bace) == 1513 and bace.task_type == "classification" and bace.task_names == ["Class"]
    freesolv = load_moleculenet("FreeSolv", show_progress=False)
    assert len(freesolv) == 642 and freesolv.task_type == "regression"
    assert not torch.isnan(freesolv._data.y).any()
    assert moleculenet_name("delaney") == "ESOL" and moleculenet_name("LIPO") == "Lipophilicity"


def test_tox21_rows_and_tasks(data_root, mirror):
    # the full featurization (7,823 valid of 7,831 rows) is measured in benchmarks/data_cache.py
    smiles, labels, tasks, lines = read_smiles_file(mirror / "MoleculeNet" / "tox21.csv")
    assert len(smiles) == 7831 and labels.shape == (7831, 12) and len(tasks) == 12
    assert lines[0] == 2 and lines[-1] == 7832
    assert torch.isnan(torch.from_numpy(labels)).any()  # missing labels are NaN


def test_zinc250k_line_count_and_limit(data_root, mirror):
    smiles, labels, tasks, _ = read_smiles_file(mirror / "ZINC" / "zinc250k_smiles.txt.gz")
    assert len(smiles) == 249455 and labels is None and tasks == []
    small = load_smiles_corpus("zinc250k", limit=40, show_progress=False)
    assert len(small) == 40 and small.num_tasks == 0 and "y" not in small[0]
    _check_ogb_features(small)
    assert small.smiles == smiles[:40]
    other = load_smiles_corpus("zinc250k", limit=25, show_progress=False)
    assert len(other) == 25
    processed = data_root / "ZINC" / "processed"
    assert (processed / "data_first40.pt").is_file() and (processed / "data_first25.pt").is_file()


def _write(path, text):
    path.write_text(text)
    return path


def test_invalid_smiles_skipped_and_reported(tmp_path):
    csv = _write(tmp_path / "toy.csv", "smiles,a,b\nCCO,1,0\nC1CC,0,1\n,1,1\nc1ccccc1,,1\nnot_a_smiles,1,\nCN,0,0\n")
    with pytest.warns(UserWarning, match="skipped 3 of 6"):
        dataset = load_smiles_corpus(csv, root=tmp_path / "root", show_progress=False)
    assert len(dataset) == 3
    assert dataset.smiles == ["CCO", "c1ccccc1", "CN"]
    report = dataset.invalid_smiles
    assert report.count == 3 and report.total == 6
    assert [line for line, _ in report.examples] == [3, 4, 6]  # unclosed ring, empty cell, garbage
    assert "line 3" in str(report)


def test_labels_keep_nan_for_missing(tmp_path, monkeypatch):
    from graphcl.data.molecules import MoleculeDataset

    csv = _write(tmp_path / "toy.csv", "smiles,a,b\nCCO,1,0\nc1ccccc1,,1\nCN,0,\n")
    dataset = MoleculeDataset(tmp_path / "root", csv, task_type="classification", show_progress=False)
    assert dataset.num_tasks == 2 and dataset.task_names == ["a", "b"]
    y = dataset._data.y
    assert y.shape == (3, 2)
    assert math.isnan(y[1, 0]) and math.isnan(y[2, 1]) and y[0].tolist() == [1.0, 0.0]


def test_strict_mode_raises_with_line(tmp_path):
    csv = _write(tmp_path / "toy.smi", "CCO\nC1CC\nCN\n")
    with pytest.raises(InvalidSmilesError, match="line 2"):
        load_smiles_corpus(csv, root=tmp_path / "root", strict=True, show_progress=False)


def test_smiles_file_with_names_and_gzip(tmp_path):
    path = tmp_path / "mols.smi.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("CCO ethanol\n\nc1ccccc1 benzene\n")
    dataset = load_smiles_corpus(path, root=tmp_path / "root", show_progress=False)
    assert dataset.smiles == ["CCO", "c1ccccc1"]


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("name,label\nCCO,1\n", "no SMILES column"),
    ("smiles\nCCO\n", "no label column"),
    ("smiles,label\n", "no rows"),
    ("smiles,label\nCCO,yes\n", "not numeric"),
])
def test_bad_csv_errors(tmp_path, text, message):
    from graphcl.data.molecules import MoleculeDataset

    csv = _write(tmp_path / "bad.csv", text)
    with pytest.raises(ValueError, match=message):
        MoleculeDataset(tmp_path / "root", csv, task_type="classification", show_progress=False)


def test_empty_corpus_and_unknown_names(tmp_path):
    with pytest.raises(ValueError, match="empty"):
        load_smiles_corpus(_write(tmp_path / "empty.txt", "\n"), root=tmp_path / "root")
    with pytest.raises(ValueError, match="Unknown MoleculeNet dataset"):
        load_moleculenet("Tox22")
    with pytest.raises(DatasetNotFoundError, match="neither 'zinc250k' nor an existing file"):
        load_smiles_corpus(tmp_path / "missing.smi", root=tmp_path / "root")
    with pytest.raises(ValueError, match="limit"):
        load_smiles_corpus(_write(tmp_path / "a.smi", "CC\n"), root=tmp_path / "root", limit=0)


def test_missing_moleculenet_names_files_and_remedies(tmp_path, monkeypatch):
    monkeypatch.delenv("GRAPHCL_DATASET_MIRROR", raising=False)
    with pytest.raises(DatasetNotFoundError) as info:
        load_moleculenet("HIV", root=tmp_path)
    message = str(info.value)
    assert "hiv.csv" in message and "GRAPHCL_DATASET_MIRROR" in message and str(tmp_path) in message


def test_cache_reused_and_rebuilt_when_raw_changes(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    (mirror / "MoleculeNet").mkdir(parents=True)
    source = _write(mirror / "MoleculeNet" / "bbbp.csv", "smiles,p_np\nCCO,1\nCN,0\n")
    monkeypatch.setenv("GRAPHCL_DATASET_MIRROR", str(mirror))
    root = tmp_path / "root"
    first = load_moleculenet("BBBP", root=root, show_progress=False)
    assert len(first) == 2

    calls = []
    monkeypatch.setattr("graphcl.data.molecules.featurize_smiles",
                        lambda *a, **k: calls.append(1) or pytest.fail("cache not reused"))
    second = load_moleculenet("BBBP", root=root, show_progress=False)
    assert len(second) == 2 and not calls
    monkeypatch.undo()
    monkeypatch.setenv("GRAPHCL_DATASET_MIRROR", str(mirror))

    source.write_text("smiles,p_np\nCCO,1\nCN,0\nc1ccccc1,1\n")  # the mirror file changes
    third = load_moleculenet("BBBP", root=root, show_progress=False)
    assert len(third) == 3 and third.smiles[-1] == "c1ccccc1"
    assert not (mirror / "MoleculeNet" / "BBBP").exists()  # nothing written into the mirror


def test_process_pool_gives_same_graphs(tmp_path):
    from graphcl.data.molecules import featurize_smiles

    smiles = ["CCO", "c1ccccc1", "bad(", "CC(=O)O", "N#N", "C"] * 3
    serial, serial_slices, serial_valid = featurize_smiles(smiles, num_workers=0, chunk_size=4, show_progress=False)
    pooled, pooled_slices, pooled_valid = featurize_smiles(smiles, num_workers=2, chunk_size=4, show_progress=False)
    assert serial_valid.tolist() == pooled_valid.tolist() and int(serial_valid.sum()) == 15
    for key in ("x", "edge_index", "edge_attr"):
        assert torch.equal(serial[key], pooled[key])
        assert torch.equal(serial_slices[key], pooled_slices[key])
