"""Loading a user's graph from files, and the message of every bad-file error."""
import numpy as np
import pytest
import torch
from torch_geometric.data import Data

from graphcl.data.graph_files import GraphFileError, labelled_split, load_graph_file


def write(path, text):
    path.write_text(text)
    return path


def test_edge_list_with_header_features_and_labels(tmp_path):
    edges = write(tmp_path / "g.csv", "source,target\n0,1\n1,2\n3,2\n")
    features = tmp_path / "x.npy"
    np.save(features, np.arange(8, dtype=np.float64).reshape(4, 2))
    labels = write(tmp_path / "y.csv", "0\n1\n-1\n1\n")
    data = load_graph_file(edges, features=features, labels=labels)
    assert data.num_nodes == 4
    # undirected by default: each edge in both directions
    assert sorted(map(tuple, data.edge_index.t().tolist())) == [(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2)]
    assert data.x.dtype == torch.float32 and data.x[3].tolist() == [6.0, 7.0]
    assert data.y.tolist() == [0, 1, -1, 1]
    directed = load_graph_file(edges, directed=True, num_nodes=6)
    assert directed.edge_index.tolist() == [[0, 1, 3], [1, 2, 2]] and directed.num_nodes == 6
    # without features: log(1 + in-degree)
    assert torch.allclose(directed.x.view(-1), torch.log1p(torch.tensor([0.0, 1, 2, 0, 0, 0])))


def test_whitespace_edge_list_and_csv_features(tmp_path):
    edges = write(tmp_path / "g.txt", "0 1\n1 2\n")
    features = write(tmp_path / "x.csv", "0.5,1\n2,3\n4,5\n")
    data = load_graph_file(edges, features=features)
    assert data.x.tolist() == [[0.5, 1.0], [2.0, 3.0], [4.0, 5.0]] and data.num_edges == 4


def test_saved_data_object(tmp_path):
    path = tmp_path / "g.pt"
    torch.save(Data(x=torch.ones(3, 2), edge_index=torch.tensor([[0, 1], [1, 2]]), y=torch.tensor([0, 1, 0])), path)
    data = load_graph_file(path)
    assert data.num_nodes == 3 and data.edge_index.tolist() == [[0, 1], [1, 2]] and data.y.tolist() == [0, 1, 0]


@pytest.mark.parametrize("case, message", [
    ("out_of_range", "g.csv: edge 1 refers to node 7, out of range for 3 nodes (ids must lie in 0..2)"),
    ("negative", "g.csv: edge 0 has a negative node id -1"),
    ("feature_rows", "x.npy: 2 feature rows but the graph has 3 nodes"),
    ("nan_features", "x.npy: node features hold NaN or infinite values (first in row 1, node 1)"),
    ("empty_file", "g.csv: the edge list file is empty"),
    ("no_edges", "g.csv: the edge list holds no edges"),
    ("not_a_number", "g.csv: line 3 of the edge list file holds a value that is not a number"),
    ("three_columns", "g.csv: an edge list needs exactly two columns (source, target), found 3"),
    ("labels_length", "y.csv: labels must hold one value per node (3), got shape (2,)"),
    ("empty_pt", "g.pt: the graph has no nodes"),
    ("pt_out_of_range", "g.pt: edge 0 refers to node 5, out of range for 2 nodes"),
    ("not_data", "g.pt: expected a torch_geometric.data.Data, found dict"),
])
def test_bad_files_name_the_file_and_the_problem(tmp_path, case, message):
    x = tmp_path / "x.npy"
    np.save(x, np.zeros((3, 2)))
    kwargs = {}
    path = tmp_path / "g.csv"
    if case == "out_of_range":
        write(path, "0,1\n1,7\n")
        kwargs["features"] = x
    elif case == "negative":
        write(path, "-1,1\n")
    elif case == "feature_rows":
        write(path, "0,1\n1,2\n")
        np.save(x, np.zeros((2, 2)))
        kwargs["num_nodes"] = 3
        kwargs["features"] = x
    elif case == "nan_features":
        write(path, "0,1\n1,2\n")
        np.save(x, np.array([[0.0, 1.0], [np.nan, 0.0], [1.0, 1.0]]))
        kwargs["features"] = x
    elif case == "empty_file":
        write(path, "")
    elif case == "no_edges":
        write(path, "source,target\n")
    elif case == "not_a_number":
        write(path, "0,1\n1,2\n2,x\n")
    elif case == "three_columns":
        write(path, "0,1,2\n")
    elif case == "labels_length":
        write(path, "0,1\n1,2\n")
        kwargs["labels"] = write(tmp_path / "y.csv", "0\n1\n")
    elif case == "empty_pt":
        path = tmp_path / "g.pt"
        torch.save(Data(x=torch.empty(0, 2), edge_index=torch.empty(2, 0, dtype=torch.long)), path)
    elif case == "pt_out_of_range":
        path = tmp_path / "g.pt"
        torch.save(Data(x=torch.ones(2, 1), edge_index=torch.tensor([[5], [0]])), path)
    elif case == "not_data":
        path = tmp_path / "g.pt"
        torch.save({"edge_index": torch.zeros(2, 1)}, path)
    with pytest.raises(GraphFileError) as error:
        load_graph_file(path, **kwargs)
    assert message in str(error.value)
    assert str(tmp_path) in str(error.value)  # the full path of the file at fault


def test_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="edge list file not found: .*nowhere.csv"):
        load_graph_file(tmp_path / "nowhere.csv")
    write(tmp_path / "g.csv", "0,1\n")
    with pytest.raises(FileNotFoundError, match="features file not found: .*x.npy"):
        load_graph_file(tmp_path / "g.csv", features=tmp_path / "x.npy")


def test_labelled_split_uses_labelled_nodes_only():
    y = torch.tensor([0, 1, -1, 1, 0, -1, 0, 1, 1, 0, 0, 1])
    train, valid, test = labelled_split(y, generator=torch.Generator().manual_seed(0))
    assert not bool((train & valid).any() or (train & test).any() or (valid & test).any())
    assert int((train | valid | test).sum()) == 10 and not bool((train | valid | test)[y < 0].any())
