import pytest

from graphcl.cli import build_parser, main


def test_data_command_is_registered_and_routed():
    args = build_parser().parse_args(["data", "--dataset", "MUTAG"])
    assert args.command == "data" and args.dataset == "MUTAG"
    assert args.func.__module__ == "graphcl.cli.data"


def test_cli_data_summarizes_cora(data_root, capsys):
    assert main(["data", "--dataset", "Cora"]) == 0
    out = capsys.readouterr().out
    assert "2708 nodes" in out and "10556 edges" in out


def test_cli_reports_missing_dataset_without_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("GRAPHCL_DATASET_MIRROR", raising=False)
    monkeypatch.setattr("torch_geometric.datasets.Planetoid.url", "http://127.0.0.1:9/planetoid")
    assert main(["data", "--dataset", "PubMed", "--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "ind.pubmed.graph" in err and "Traceback" not in err


def test_cli_data_summarizes_tu_and_moleculenet(data_root, capsys):
    assert main(["data", "--dataset", "MUTAG"]) == 0
    assert "MUTAG: 188 graphs" in capsys.readouterr().out
    assert main(["data", "--dataset", "BACE"]) == 0
    assert "BACE: 1513 molecules, 1 classification task(s)" in capsys.readouterr().out


def test_cli_data_unknown_name_is_a_clear_error(data_root, capsys):
    assert main(["data", "--dataset", "NOT-A-DATASET-NAME"]) == 2
    captured = capsys.readouterr()
    # the user's own name, the reason and where to put the files; no summary, no traceback
    assert captured.err.startswith("graphcl data: error: Dataset 'NOT-A-DATASET-NAME' is not available")
    assert "GRAPHCL_DATASET_MIRROR" in captured.err and "Traceback" not in captured.err
    assert "graphs" not in captured.out


def test_cli_rejects_unknown_command(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["no-such-command"])
    assert exit_info.value.code == 2 and "invalid choice" in capsys.readouterr().err
