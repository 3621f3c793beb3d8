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
