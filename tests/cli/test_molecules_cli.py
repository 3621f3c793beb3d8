import json

from graphcl.cli import build_parser, main
from graphcl.nn import load_encoder


def test_subcommands_registered():
    text = build_parser().format_help()
    assert "pretrain-molecules" in text and "pretrain-mocl" in text and "finetune" in text


def test_pretrain_then_finetune_and_resume(data_root, tmp_path, capsys):
    corpus = tmp_path / "corpus.smi"
    corpus.write_text("\n".join(["CCO", "CCN", "c1ccccc1O", "CC(=O)O", "CCCC", "OCCO", "CNC", "C1CCCCC1"] * 2))
    ckpt = tmp_path / "ckpt"
    args = ["pretrain-molecules", "--corpus", str(corpus), "--epochs", "1", "--batch-size", "8",
            "--hidden-channels", "8", "--num-layers", "2", "--checkpoint-dir", str(ckpt), "--no-progress"]
    assert main(args) == 0
    encoder = load_encoder(ckpt / "encoder.pt")
    assert encoder.hidden_channels == 8 and encoder.num_layers == 2
    assert main(args[:3] + ["--epochs", "2"] + args[5:]) == 0  # resumes epoch 1, trains epoch 2
    assert "2 epochs" in capsys.readouterr().out

    out = tmp_path / "bace.json"
    assert main(["finetune", "--task", "bace", "--checkpoint", str(ckpt / "encoder.pt"), "--epochs", "1",
                 "--seeds", "0", "--protocol", "linear", "--out", str(out), "--no-progress"]) == 0
    result = json.loads(out.read_text())
    assert result["task"] == "bace" and 0.0 <= result["runs"][0]["test"] <= 1.0
    assert "test ROC-AUC" in capsys.readouterr().out


def test_finetune_regression_task_goes_through_the_csv_path(data_root, tmp_path, capsys):
    assert main(["finetune", "--task", "freesolv", "--epochs", "1", "--hidden-channels", "8", "--num-layers", "2",
                 "--save-dir", str(tmp_path / "m"), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "FreeSolv [regression, scaffold split" in out and "RMSE" in out and "R2" in out
    metrics = json.loads((tmp_path / "m" / "metrics.json").read_text())
    assert metrics["task_type"] == "regression" and metrics["num_molecules"]["test"] > 50
    # the multi-seed flag of the classification protocol is refused here, with the flag to use instead
    assert main(["finetune", "--task", "esol", "--epochs", "1", "--seeds", "0", "--no-progress"]) == 2
    assert "use --seed" in capsys.readouterr().err
