import pytest

from graphcl.data import DatasetNotFoundError, load_planetoid


def test_cora_statistics(data_root):
    data = load_planetoid("Cora")
    assert data.num_nodes == 2708
    assert data.num_edges == 10556
    assert data.num_features == 1433
    assert int(data.y.max()) + 1 == 7
    assert (int(data.train_mask.sum()), int(data.val_mask.sum()), int(data.test_mask.sum())) == (140, 500, 1000)
    assert (data_root / "Planetoid" / "Cora" / "processed").is_dir()


def test_citeseer_statistics(data_root):
    data = load_planetoid("citeseer")
    assert data.num_nodes == 3327
    assert data.num_features == 3703


def test_unknown_planetoid_name():
    with pytest.raises(ValueError, match="Unknown Planetoid dataset"):
        load_planetoid("Corax")


def test_missing_planetoid_names_files_and_remedies(tmp_path, monkeypatch):
    monkeypatch.delenv("GRAPHCL_DATASET_MIRROR", raising=False)
    # an unreachable download URL stands in for "no network"
    monkeypatch.setattr("torch_geometric.datasets.Planetoid.url", "http://127.0.0.1:9/planetoid")
    with pytest.raises(DatasetNotFoundError) as info:
        load_planetoid("PubMed", root=tmp_path)
    message = str(info.value)
    assert "ind.pubmed.allx" in message
    assert "GRAPHCL_DATASET_MIRROR" in message
    assert str(tmp_path) in message
