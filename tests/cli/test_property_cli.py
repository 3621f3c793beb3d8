import csv
import json

import numpy as np
import pytest
import torch

from graphcl.cli import main
from graphcl.nn import GCNEncoder, save_encoder
from graphcl.utils import load_checkpoint

ROWS = [("CCO", 0.1, 0), ("CCN", 0.3, 1), ("CCC", 1.2, 0), ("CCCl", 1.5, 1), ("c1ccccc1", 2.1, 1),
        ("c1ccccc1O", 1.4, 0), ("not_a_smiles", 0.0, 1), ("c1ccccc1N", 0.9, ""), ("c1ccncc1", 0.6, 0),
        ("C1CCCCC1", 3.4, 1), ("C1CCNCC1", 0.8, 0), ("CC(=O)O", -0.2, 0), ("CC(=O)N", -1.0, 1), ("OCCO", -1.1, 0),
        ("NCCN", -1.5, 1), ("c1ccc2ccccc2c1", 3.3, 1), ("c1ccoc1", 1.3, 0), ("", 0.5, 1), ("CC(C)C", 2.0, 1),
        ("CCOCC", 0.9, 0), ("C1CC1O", 0.1, 1)]
TINY = ["--hidden-channels", "8", "--num-layers", "2", "--epochs", "2", "--batch-size", "4", "--no-progress"]


@pytest.fixture()
def table(tmp_path):
    path = tmp_path / "mols.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "smiles", "logp", "active"])
        writer.writerows([(f"m{i}", *row) for i, row in enumerate(ROWS)])
    return path


@pytest.mark.parametrize("task_type,targets", [("regression", ["logp", "active"]), ("classification", ["active"])])
def test_finetune_then_predict_keeps_every_row_in_order(table, tmp_path, capsys, task_type, targets):
    model = tmp_path / "model"
    assert main(["finetune", "--data", str(table), "--smiles-column", "smiles", "--target-columns", *targets,
                 "--task-type", task_type, "--save-dir", str(model), "--out", str(tmp_path / "m.json"), *TINY]) == 0
    captured = capsys.readouterr()
    assert "2 of 21 SMILES could not be featurized" in captured.err and "lines 8, 19" in captured.err
    assert ("RMSE" in captured.out) == (task_type == "regression")
    metrics = json.loads((model / "metrics.json").read_text())
    assert metrics["invalid_smiles"]["count"] == 2 and metrics["task_type"] == task_type
    out = tmp_path / "preds.csv"
    assert main(["predict", "--model", str(model), "--data", str(table), "--out", str(out)]) == 0
    with open(out) as handle:
        rows = list(csv.DictReader(handle))
    with open(table) as handle:
        source = list(csv.DictReader(handle))
    assert len(rows) == len(source) == 21
    assert [r["id"] for r in rows] == [r["id"] for r in source] and [r["smiles"] for r in rows] == \
        [r["smiles"] for r in source]
    assert list(rows[0]) == ["id", "smiles", "logp", "active", *[f"{t}_pred" for t in targets], "error"]
    for row in rows:
        bad = row["smiles"] in ("not_a_smiles", "")
        assert (row["error"] != "") == bad
        assert all((row[f"{t}_pred"] == "") == bad for t in targets)
    if task_type == "classification":
        assert all(0 < float(r["active_pred"]) < 1 for r in rows if r["error"] == "")
    assert "2 row(s) could not be featurized" in capsys.readouterr().out


def _weights(folder):
    out = {}
    for file in ("encoder.pt", "model.pt"):
        payload = load_checkpoint(folder / file)
        out.update({(file, k): v for k, v in payload.get("state_dict", payload.get("head")).items()})
    return out


def test_finetune_twice_gives_bitwise_identical_weights(table, tmp_path):
    for name, seed in (("a", "3"), ("b", "3"), ("c", "4")):
        assert main(["finetune", "--data", str(table), "--target-columns", "logp", "--task-type", "regression",
                     "--seed", seed, "--save-dir", str(tmp_path / name), *TINY]) == 0
    first, second, other = (_weights(tmp_path / name) for name in "abc")
    assert first.keys() == second.keys() == other.keys()
    for key in first:
        assert torch.equal(first[key], second[key]), key
    assert any(not torch.equal(first[key], other[key]) for key in first)  # the seed is used


def test_bf16_finetune_runs(table, tmp_path):
    assert main(["finetune", "--data", str(table), "--target-columns", "active", "--task-type", "classification",
                 "--precision", "bf16", "--save-dir", str(tmp_path / "m"), *TINY]) == 0
    assert json.loads((tmp_path / "m" / "config.json").read_text())["precision"] == "bf16"


def test_bad_input_gives_clear_errors(table, tmp_path, capsys):
    base = ["finetune", "--data", str(table), "--task-type", "regression", *TINY]
    assert main(base + ["--target-columns", "logp", "pIC50"]) == 2
    assert "no target column(s) ['pIC50']" in capsys.readouterr().err
    assert main(base + ["--target-columns", "logp", "--smiles-column", "SMILES"]) == 2
    assert "no SMILES column 'SMILES'" in capsys.readouterr().err
    assert main(base + ["--target-columns", "id"]) == 2
    assert "target column 'id' has 21 non-numeric value(s) (line 2: 'm0'" in capsys.readouterr().err
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert main(["finetune", "--data", str(empty), "--task-type", "regression", *TINY]) == 2
    assert "is empty" in capsys.readouterr().err
    assert main(["finetune", "--data", str(table), "--target-columns", "logp", *TINY]) == 2
    assert "--task-type" in capsys.readouterr().err
    assert main(["finetune", "--data", str(table), "--target-columns", "logp", "--task-type", "classification",
                 *TINY]) == 2
    assert "must be 0, 1 or empty; target 'logp' has 0.1 on line 2" in capsys.readouterr().err
    assert main(["predict", "--model", str(tmp_path), "--data", str(table), "--out", str(tmp_path / "p.csv")]) == 2
    assert "not a model folder" in capsys.readouterr().err


def test_embed_rows_nan_and_dispatch(table, tmp_path, capsys):
    torch.manual_seed(0)
    from graphcl.nn import MoleculeGINEncoder

    save_encoder(MoleculeGINEncoder(8, 2), tmp_path / "enc.pt")
    out = tmp_path / "emb.npy"
    assert main(["embed", "--checkpoint", str(tmp_path / "enc.pt"), "--data", str(table), "--out", str(out)]) == 0
    values = np.load(out)
    assert values.shape == (21, 8)
    bad = [i for i, row in enumerate(ROWS) if row[0] in ("not_a_smiles", "")]
    assert np.isnan(values[bad]).all() and not np.isnan(np.delete(values, bad, axis=0)).any()
    err = capsys.readouterr().err
    assert "row 6 (line 8): 'not_a_smiles'" in err and "row 17 (line 19): ''" in err
    save_encoder(GCNEncoder(4, 8), tmp_path / "node.pt")
    assert main(["embed", "--checkpoint", str(tmp_path / "node.pt"), "--data", str(table), "--out", str(out)]) == 2
    assert "node-level encoder (GCNEncoder)" in capsys.readouterr().err
    assert main(["embed", "--checkpoint", str(tmp_path / "enc.pt"), "--data", str(table), "--out", str(out),
                 "--featurizer", "hu2020"]) == 2
    assert "featurizer mismatch" in capsys.readouterr().err
