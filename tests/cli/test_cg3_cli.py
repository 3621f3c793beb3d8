import json

from graphcl.cli import build_parser, main


def test_cg3_command_is_registered_and_routed():
    args = build_parser().parse_args(["cg3", "--dataset", "CiteSeer"])
    assert args.command == "cg3" and args.dataset == "CiteSeer" and args.func.__module__ == "graphcl.cli.cg3"


def test_cg3_command_writes_result_json(data_root, tmp_path, capsys):
    output = tmp_path / "out" / "cg3.json"
    code = main(["cg3", "--dataset", "Cora", "--seeds", "0", "1", "--epochs", "2", "--hidden-channels", "8",
                 "--without", "generative", "--output", str(output), "--no-progress", "--device", "cpu"])
    assert code == 0
    result = json.loads(output.read_text())
    assert [run["seed"] for run in result["runs"]] == [0, 1]
    assert all(0.0 <= run["test_accuracy"] <= 1.0 for run in result["runs"])
    assert result["config"]["without"] == ["generative"] and result["method"] == "CG3"
    assert "test accuracy" in capsys.readouterr().out
    assert not list(output.parent.glob(".*.tmp"))  # atomic write leaves no temporary file


def test_cg3_command_rejects_unknown_term(data_root, capsys):
    assert main(["cg3", "--dataset", "Cora", "--without", "typo", "--epochs", "1"]) == 2
    assert "typo" in capsys.readouterr().err
