import json

import pytest

from graphcl.cli import build_parser, main


def test_node_subcommands_are_registered():
    help_text = build_parser().format_help()
    assert "pretrain" in help_text and "evaluate" in help_text


def test_pretrain_save_and_evaluate_on_cora(data_root, tmp_path, capsys):
    out = tmp_path / "results"
    checkpoint = tmp_path / "dgi.pt"
    code = main(["pretrain", "--method", "dgi", "--dataset", "Cora", "--epochs", "3", "--runs", "2",
                 "--hidden", "32", "--no-progress", "--out", str(out), "--save", str(checkpoint), "--seed", "1"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "DGI on Cora" in printed and "test accuracy" in printed
    record = json.loads((out / "pretrain_dgi_cora_seed1.json").read_text())
    assert record["epochs_run"] == 3 and record["config"]["hidden_channels"] == 32
    assert 0 < record["accuracy"]["test_mean"] <= 100 and len(record["accuracy"]["test_accuracies"]) == 2
    assert record["peak_memory_mb"] > 0 and "versions" in record["environment"]
    assert main(["evaluate", "--checkpoint", str(checkpoint), "--runs", "2", "--seed", "1",
                 "--out", str(out)]) == 0
    evaluated = json.loads((out / "evaluate_dgi_cora_seed1.json").read_text())
    # same encoder, same probe seed -> the same accuracies as right after pretraining
    assert evaluated["accuracy"]["test_accuracies"] == record["accuracy"]["test_accuracies"]


def test_pretrain_graphcl_runs(data_root, tmp_path, capsys):
    code = main(["pretrain", "--method", "graphcl", "--dataset", "Cora", "--epochs", "2", "--runs", "1",
                 "--hidden", "16", "--augmentation", "node_drop", "--no-progress", "--out", str(tmp_path)])
    assert code == 0 and "GraphCL on Cora" in capsys.readouterr().out
    record = json.loads((tmp_path / "pretrain_graphcl_cora_seed0.json").read_text())
    assert record["config"]["augmentation"] == "node_drop"


def test_user_errors_have_no_traceback(tmp_path, capsys):
    assert main(["evaluate", "--checkpoint", str(tmp_path / "missing.pt")]) == 2
    err = capsys.readouterr().err
    assert "missing.pt" in err and "Traceback" not in err
    with pytest.raises(SystemExit):
        main(["pretrain", "--epochs", "0"])


def test_old_spellings_are_hidden_aliases():
    parser = build_parser()
    new = parser.parse_args(["pretrain", "--hidden-channels", "32", "--num-layers", "2", "--aug-ratio", "0.3",
                             "--save-dir", "d"])
    old = parser.parse_args(["pretrain", "--hidden", "32", "--layers", "2", "--p", "0.3", "--out", "d"])
    for name in ("hidden_channels", "num_layers", "aug_ratio", "save_dir"):
        assert getattr(new, name) == getattr(old, name)
    help_text = parser._subparsers._group_actions[0].choices["pretrain"].format_help()
    assert "--hidden-channels" in help_text and "--hidden " not in help_text and "--p " not in help_text
    # library defaults are not restated: options the user did not give are absent
    assert not hasattr(parser.parse_args(["pretrain"]), "hidden_channels")
