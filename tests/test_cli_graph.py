import json

from graphcl.cli import main


def test_tu_unsupervised_command_runs_and_saves(data_root, tmp_path, capsys):
    output = tmp_path / "runs.jsonl"
    code = main(["tu-unsupervised", "--datasets", "MUTAG", "--methods", "joao", "--epochs", "1",
                 "--classifier", "logistic", "--no-progress", "--output", str(output)])
    assert code == 0
    record = json.loads(output.read_text().splitlines()[0])
    assert record["dataset"] == "MUTAG" and record["method"] == "joao"
    assert 0.5 < record["accuracy"] <= 1.0
    assert len(record["aug_probs_first"]) == 25 and abs(sum(record["aug_probs_last"]) - 1) < 1e-9
    assert "joao | MUTAG" in output.with_suffix(".md").read_text()
    assert "most likely pair" in capsys.readouterr().out


def test_tu_unsupervised_saves_encoders_that_reload(data_root, tmp_path):
    from graphcl.nn import GINEncoder, load_encoder

    code = main(["tu-unsupervised", "--datasets", "MUTAG", "--methods", "graphcl", "--epochs", "1",
                 "--classifier", "logistic", "--no-progress", "--save-dir", str(tmp_path)])
    assert code == 0
    encoder = load_encoder(tmp_path / "MUTAG_graphcl_seed0.pt")
    assert isinstance(encoder, GINEncoder) and encoder.out_channels == 96


def test_tu_unsupervised_reports_bad_method(capsys):
    import pytest

    with pytest.raises(SystemExit):
        main(["tu-unsupervised", "--methods", "dgi"])


def test_tu_unsupervised_infograph_mvgrl_and_references(data_root, tmp_path, monkeypatch):
    import graphcl.cli.graph as graph_cli

    calls = []

    def fake_run(dataset, method, seed, device, progress, save_encoder_to, **given):
        calls.append((dataset, method, seed, given))
        return {"dataset": dataset, "method": method, "seed": seed, "accuracy": 0.5, "fold_std": 0.0,
                "seconds_per_epoch": 0.0}

    monkeypatch.setattr(graph_cli, "run_unsupervised_tu", fake_run)
    code = main(["tu-unsupervised", "--methods", "infograph", "mvgrl", "untrained", "raw_features",
                 "--hidden-channels", "16", "--aug-ratio", "0.3", "--no-progress"])
    assert code == 0
    assert [call[1] for call in calls] == ["infograph", "mvgrl", "untrained", "raw_features"]
    # only the options given are forwarded: the per-method defaults stay in the library
    assert calls[0][3] == {"hidden_channels": 16, "p": 0.3}


def test_tu_unsupervised_mvgrl_runs_end_to_end(data_root, tmp_path):
    output = tmp_path / "runs.jsonl"
    code = main(["tu-unsupervised", "--datasets", "MUTAG", "--methods", "mvgrl", "--epochs", "1",
                 "--hidden-channels", "8", "--num-layers", "2", "--classifier", "logistic", "--no-progress",
                 "--out", str(output)])
    assert code == 0
    record = json.loads(output.read_text().splitlines()[0])
    assert record["method"] == "mvgrl" and record["config"]["embedding_dim"] == 8
    assert record["config"]["features"] == "one-hot node labels + one-hot degree"
    assert 0.5 < record["accuracy"] <= 1.0 and len(record["losses"]) == 1
