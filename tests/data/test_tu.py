import zipfile

import pytest
import torch

from graphcl.data import DatasetNotFoundError, GINFormatDataset, load_tu
from graphcl.data.tu import parse_gin_text, read_gin_zip


@pytest.mark.parametrize("name, graphs, nodes, classes", [
    ("MUTAG", 188, 3371, 2),
    ("PROTEINS", 1113, 43471, 2),
    ("NCI1", 4110, 122747, 2),
    ("IMDB-BINARY", 1000, 19773, 2),
])
def test_tu_statistics(data_root, name, graphs, nodes, classes):
    dataset = load_tu(name)
    assert len(dataset) == graphs
    assert dataset._data.x.size(0) == nodes
    assert dataset.num_classes == classes
    graph = dataset[0]
    assert graph.x.size(0) == graph.num_nodes and graph.y.shape == (1,)
    assert graph.is_undirected()


def test_node_feature_modes(data_root):
    auto = load_tu("MUTAG")
    assert auto.num_features == 7  # one-hot atom labels
    constant = load_tu("IMDB-BINARY")  # no node labels: "auto" falls back to constant
    assert constant.num_features == 1 and bool((constant._data.x == 1).all())

    degree = load_tu("IMDB-BINARY", node_features="degree", max_degree=10)
    assert degree.num_features == 11
    graph = degree[3]
    node_degree = torch.bincount(graph.edge_index[0], minlength=graph.num_nodes)
    assert torch.equal(graph.x.argmax(dim=1), node_degree.clamp(max=10))
    assert torch.equal(graph.x.sum(dim=1), torch.ones(graph.num_nodes))

    forced = load_tu("MUTAG", node_features="constant")
    assert forced.num_features == 1


def test_bad_node_feature_option(data_root):
    with pytest.raises(ValueError, match="node_features"):
        load_tu("MUTAG", node_features="onehot")
    with pytest.raises(ValueError, match="max_degree"):
        load_tu("MUTAG", node_features="degree", max_degree=0)


def test_dd_loads_from_gin_format(data_root):
    dataset = load_tu("DD")
    assert isinstance(dataset, GINFormatDataset)
    assert len(dataset) == 1178
    assert dataset._data.x.size(0) == 334925
    assert dataset.num_classes == 2
    assert torch.bincount(dataset._data.y).tolist() == [691, 487]
    assert dataset[5].is_undirected()


@pytest.mark.parametrize("file, graphs", [("COLLAB.zip", 5000), ("REDDIT-BINARY.zip", 2000)])
def test_large_gin_zips_graph_count(mirror, file, graphs):
    # the full load is measured in benchmarks/data_cache.py; here only the header is read
    with zipfile.ZipFile(mirror / "gin_format" / file) as archive:
        member = next(m for m in archive.namelist() if m.endswith(file.replace(".zip", ".txt")) and "MACOSX" not in m)
        with archive.open(member) as handle:
            assert int(handle.readline()) == graphs


def test_gin_mutag_matches_tu_mutag(data_root, mirror):
    parsed = read_gin_zip(mirror / "gin_format" / "MUTAG.zip")
    assert parsed["node_counts"].sum() == 3371
    assert parsed["source"].size == 7442
    tu = load_tu("MUTAG")
    tu_counts = (tu.slices["x"][1:] - tu.slices["x"][:-1]).tolist()
    assert sorted(parsed["node_counts"].tolist()) == sorted(tu_counts)
    assert {int(v): int((parsed["labels"] == v).sum()) for v in set(parsed["labels"].tolist())} == {0: 63, 2: 125}


def test_parse_gin_text_exact():
    # graph 0: path 0-1-2 with neighbour lists as written; graph 1: one node with a self-loop
    text = "2\n3 2\n5 1 1\n7 2 0 2\n5 1 1\n1 0\n5 1 0\n"
    parsed = parse_gin_text(text)
    assert parsed["node_counts"].tolist() == [3, 1]
    assert parsed["labels"].tolist() == [2, 0]
    assert parsed["tags"].tolist() == [5, 7, 5, 5]
    assert list(zip(parsed["source"].tolist(), parsed["target"].tolist())) == [(0, 1), (1, 0), (1, 2), (2, 1), (3, 3)]


def test_parse_gin_text_with_node_attributes():
    text = "1\n2 1\n0 1 1 0.5 1.5\n1 1 0 2.0 3.0\n"
    parsed = parse_gin_text(text)
    assert parsed["attributes"].tolist() == [[0.5, 1.5], [2.0, 3.0]]
    assert parsed["source"].tolist() == [0, 1]


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("2\n1 0\n0 0\n", "ends early"),
    ("1\n2 0\n0 1 5\n0 0\n", "outside the graph"),
])
def test_parse_gin_text_errors(text, message):
    with pytest.raises(ValueError, match=message):
        parse_gin_text(text)


def _write_gin_zip(path, body: str, name="TOY"):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name}/{name}.txt", body)
        archive.writestr(f"__MACOSX/{name}/._{name}.txt", "junk")
        archive.writestr(f"{name}/.DS_Store", "junk")


def test_gin_dataset_labels_self_loops_and_rebuild(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    (mirror / "gin_format").mkdir(parents=True)
    zip_path = mirror / "gin_format" / "TOY.zip"
    # asymmetric neighbour list (0 lists 1, 1 lists nobody) and a self-loop on node 2
    _write_gin_zip(zip_path, "2\n3 0\n1 1 1\n1 0\n4 1 2\n2 2\n0 1 1\n0 1 0\n")
    monkeypatch.setenv("GRAPHCL_DATASET_MIRROR", str(mirror))
    root = tmp_path / "root"
    dataset = load_tu("TOY", root=root, source="gin")
    assert len(dataset) == 2
    assert dataset._data.y.tolist() == [0, 1]  # raw 0 / 2 mapped to contiguous ids
    first = dataset[0]
    assert first.edge_index.tolist() == [[0, 1], [1, 0]]  # made undirected, self-loop removed
    # tags over the dataset are 1, 1, 4, 0, 0 -> contiguous ids 1, 1, 2, 0, 0, one-hot
    assert first.x.tolist() == [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]

    processed = root / "gin_format" / "TOY" / "processed" / "data.pt"
    stamp = processed.stat().st_mtime_ns
    again = load_tu("TOY", root=root, source="gin")
    assert processed.stat().st_mtime_ns == stamp and len(again) == 2  # cache reused

    _write_gin_zip(zip_path, "1\n2 5\n0 1 1\n0 1 0\n")  # the raw file changes: cache rebuilt
    changed = load_tu("TOY", root=root, source="gin")
    assert len(changed) == 1 and changed[0].edge_index.size(1) == 2


def test_unknown_tu_name_offline_names_files_and_remedies(tmp_path, monkeypatch):
    monkeypatch.delenv("GRAPHCL_DATASET_MIRROR", raising=False)
    monkeypatch.setattr("torch_geometric.datasets.TUDataset.url", "http://127.0.0.1:9/tu")
    with pytest.raises(DatasetNotFoundError) as info:
        load_tu("NOT-A-DATASET", root=tmp_path)
    message = str(info.value)
    assert "NOT-A-DATASET_A.txt" in message and "GRAPHCL_DATASET_MIRROR" in message and str(tmp_path) in message


def test_forced_gin_format_missing(tmp_path, monkeypatch):
    monkeypatch.delenv("GRAPHCL_DATASET_MIRROR", raising=False)
    with pytest.raises(DatasetNotFoundError, match="COLLAB.zip"):
        load_tu("COLLAB", root=tmp_path, source="gin")
