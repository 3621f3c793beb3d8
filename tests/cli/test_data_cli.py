from graphcl.cli import build_parser, main


def test_cli_lists_subcommands():
    help_text = build_parser().format_help()
    assert "data" in help_text


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
    assert "error" in capsys.readouterr().err
