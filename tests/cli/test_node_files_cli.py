"""``graphcl pretrain --dataset FILE`` (mini-batch, with and without labels) and ``graphcl embed``."""
import json

import numpy as np
import torch
from torch_geometric.data import Data
from torch_geometric.utils import to_undirected

from graphcl.cli import main
from graphcl.data import sbm_graph
from graphcl.nn import MoleculeGINEncoder, load_encoder, save_encoder


def write_graph(tmp_path):
    data = sbm_graph(num_nodes=60, num_classes=3, num_features=5, seed=0)
    keep = data.edge_index[0] < data.edge_index[1]  # one direction per edge: the loader adds the other
    edges = data.edge_index[:, keep].t().numpy()
    (tmp_path / "g.csv").write_text("src,dst\n" + "".join(f"{a},{b}\n" for a, b in edges))
    np.save(tmp_path / "x.npy", data.x.numpy())
    np.save(tmp_path / "y.npy", data.y.numpy())
    return data


def test_unlabelled_edge_list_pretrain_then_embed(tmp_path, capsys):
    data = write_graph(tmp_path)
    out = tmp_path / "run"
    code = main(["pretrain", "--dataset", str(tmp_path / "g.csv"), "--features", str(tmp_path / "x.npy"),
                 "--batch-size", "16", "--num-neighbors", "4", "4", "--epochs", "2", "--hidden-channels", "8",
                 "--save-dir", str(out), "--no-progress"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "no labels, no probe" in printed and "4 batches/epoch" in printed
    record = json.loads((out / "pretrain_dgi_g_seed0.json").read_text())
    assert record["accuracy"] is None and record["epochs_run"] == 2 and record["config"]["num_layers"] == 2
    checkpoint = out / "pretrain_dgi_g_seed0.encoder.pt"
    assert main(["embed", "--checkpoint", str(checkpoint), "--data", str(tmp_path / "g.csv"),
                 "--out", str(tmp_path / "emb.npy"), "--no-progress"]) == 0
    embeddings = np.load(tmp_path / "emb.npy")
    # reference: the saved encoder's full-graph forward pass on the graph built by hand
    encoder = load_encoder(checkpoint).eval()
    graph = Data(x=data.x, edge_index=to_undirected(data.edge_index, num_nodes=60))
    with torch.no_grad():
        expected = encoder(graph).node.numpy()
    assert embeddings.shape == (60, 8)
    np.testing.assert_allclose(embeddings, expected, atol=1e-5)


def test_labelled_file_gets_a_probe(tmp_path, capsys):
    write_graph(tmp_path)
    code = main(["pretrain", "--dataset", str(tmp_path / "g.csv"), "--features", str(tmp_path / "x.npy"),
                 "--labels", str(tmp_path / "y.npy"), "--batch-size", "30", "--num-neighbors", "5",
                 "--epochs", "1", "--hidden-channels", "8", "--runs", "2", "--save-dir", str(tmp_path),
                 "--no-progress"])
    assert code == 0 and "test accuracy" in capsys.readouterr().out
    record = json.loads((tmp_path / "pretrain_dgi_g_seed0.json").read_text())
    assert len(record["accuracy"]["test_accuracies"]) == 2


def test_user_errors_are_one_line(tmp_path, capsys):
    write_graph(tmp_path)
    (tmp_path / "bad.csv").write_text("0,1\n1,99\n")
    np.save(tmp_path / "x3.npy", np.zeros((3, 2)))
    assert main(["pretrain", "--dataset", str(tmp_path / "bad.csv"), "--features", str(tmp_path / "x3.npy"),
                 "--save-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "bad.csv: edge 1 refers to node 99, out of range for 3 nodes" in err and "Traceback" not in err
    assert main(["pretrain", "--dataset", str(tmp_path / "g.csv"), "--num-neighbors", "5",
                 "--save-dir", str(tmp_path)]) == 2
    assert "--num-neighbors needs --batch-size" in capsys.readouterr().err
    assert main(["pretrain", "--dataset", str(tmp_path / "g.csv"), "--batch-size", "8", "--num-neighbors", "5",
                 "--num-layers", "2", "--save-dir", str(tmp_path)]) == 2
    assert "one sample size per GCN layer" in capsys.readouterr().err
    # a molecular encoder reads molecules: an edge list is refused with a one-line error
    save_encoder(MoleculeGINEncoder(8, 2), tmp_path / "mol.pt")
    assert main(["embed", "--checkpoint", str(tmp_path / "mol.pt"), "--data", str(tmp_path / "g.csv"),
                 "--out", str(tmp_path / "e.npy")]) == 2
    err = capsys.readouterr().err
    assert "g.csv" in err and "smiles" in err.lower() and "Traceback" not in err
