"""OGB node datasets: the offline error names the expected files; a mirror copy goes through OGB's own loader."""
import gzip
import os

import pytest
import torch

from graphcl.data import DatasetNotFoundError, load_ogb_node
from graphcl.eval.node_protocol import prepare_node_data


def test_offline_and_absent_names_the_expected_files(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHCL_DATASET_MIRROR", str(tmp_path / "mirror"))
    (tmp_path / "mirror").mkdir()
    with pytest.raises(DatasetNotFoundError) as error:
        load_ogb_node("ogbn-arxiv", root=tmp_path / "root", download=False)
    message = str(error.value)
    for expected in ("ogbn_arxiv/raw/edge.csv.gz", "ogbn_arxiv/raw/node-feat.csv.gz",
                     "ogbn_arxiv/raw/node_year.csv.gz", "ogbn_arxiv/split/time/train.csv.gz",
                     "ogbn_arxiv/RELEASE_v1.txt", str(tmp_path / "root" / "ogb"), "GRAPHCL_DATASET_MIRROR"):
        assert expected in message
    with pytest.raises(DatasetNotFoundError, match="ogbn_products/split/sales_ranking/test.csv.gz"):
        load_ogb_node("ogbn-products", root=tmp_path / "root", download=False)
    with pytest.raises(ValueError, match="Unknown OGB node dataset"):
        load_ogb_node("ogbn-mag", root=tmp_path / "root")


def _gz(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt") as handle:
        handle.write(text)


def test_mirror_copy_loads_through_ogb(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    base = mirror / "ogb" / "ogbn_arxiv"
    base.mkdir(parents=True)
    (base / "RELEASE_v1.txt").write_text("tiny stand-in\n")
    _gz(base / "raw" / "edge.csv.gz", "0,1\n1,2\n3,2\n")
    _gz(base / "raw" / "node-feat.csv.gz", "0.1,0.2\n0.3,0.4\n0.5,0.6\n0.7,0.8\n")
    _gz(base / "raw" / "node-label.csv.gz", "3\n1\n0\n2\n")
    _gz(base / "raw" / "num-node-list.csv.gz", "4\n")
    _gz(base / "raw" / "num-edge-list.csv.gz", "3\n")
    _gz(base / "raw" / "node_year.csv.gz", "2010\n2011\n2012\n2013\n")
    for part, ids in (("train", "0\n3\n"), ("valid", "1\n"), ("test", "2\n")):
        _gz(base / "split" / "time" / f"{part}.csv.gz", ids)
    before = sorted((p.relative_to(mirror), p.stat().st_mtime_ns) for p in mirror.rglob("*"))
    monkeypatch.setenv("GRAPHCL_DATASET_MIRROR", str(mirror))
    monkeypatch.setenv("GRAPHCL_DATA_ROOT", str(tmp_path / "root"))
    data = load_ogb_node("ogbn-arxiv", download=False)
    assert data.num_nodes == 4 and data.edge_index.tolist() == [[0, 1, 3], [1, 2, 2]]
    assert torch.allclose(data.x[3], torch.tensor([0.7, 0.8])) and data.y.tolist() == [3, 1, 0, 2]
    assert data.train_mask.tolist() == [True, False, False, True] and data.test_mask.tolist() == [False, False, True, False]
    assert (tmp_path / "root" / "ogb" / "ogbn_arxiv" / "raw" / "edge.csv.gz").is_file()
    assert sorted((p.relative_to(mirror), p.stat().st_mtime_ns) for p in mirror.rglob("*")) == before
    # the node protocol resolves the name
    assert prepare_node_data("ogbn-arxiv").num_nodes == 4
