import json
import statistics

import pytest
import torch

import graphcl.cli.graph as graph_cli
from graphcl.cli import build_parser, main
from graphcl.data import load_tu
from graphcl.nn import GINEncoder, load_encoder


def simplex_by_bisection(v: torch.Tensor) -> torch.Tensor:
    """max(v - theta, 0) summing to one, theta found by bisection."""
    low, high = float(v.min()) - 1.0, float(v.max())
    for _ in range(200):
        theta = (low + high) / 2
        low, high = (theta, high) if float(torch.clamp(v - theta, min=0).sum()) > 1 else (low, theta)
    return torch.clamp(v - (low + high) / 2, min=0)


def test_tu_unsupervised_command_is_registered_and_routed():
    args = build_parser().parse_args(["tu-unsupervised", "--methods", "joao"])
    assert args.command == "tu-unsupervised" and args.func.__module__ == "graphcl.cli.graph"


def test_tu_unsupervised_command_runs_and_saves(data_root, tmp_path, capsys):
    output = tmp_path / "runs.jsonl"
    code = main(["tu-unsupervised", "--datasets", "MUTAG", "--methods", "joao", "--epochs", "1",
                 "--classifier", "logistic", "--no-progress", "--output", str(output)])
    assert code == 0
    record = json.loads(output.read_text().splitlines()[0])
    assert record["dataset"] == "MUTAG" and record["method"] == "joao"
    # MUTAG's majority class is 125 / 188 = 66.5 %; one epoch of JOAO gives 84-88 % on seeds 0-4
    labels = torch.cat([graph.y for graph in load_tu("MUTAG")])
    majority = int(labels.bincount().max()) / len(labels)
    assert majority == pytest.approx(125 / 188)
    assert record["accuracy"] > majority + 0.08
    assert record["accuracy"] == pytest.approx(statistics.mean(record["fold_accuracies"]))
    # the distribution starts uniform; after the epoch it is Pi(p + beta (l - gamma (p - 1/K))), p - 1/K = 0
    assert record["aug_probs_first"] == pytest.approx([1 / 25] * 25)
    beta = record["config"]["method_config"]["beta"]
    step = torch.tensor(record["aug_probs_first"], dtype=torch.float64) \
        + beta * torch.tensor(record["pair_losses_last"], dtype=torch.float64)
    assert record["aug_probs_last"] == pytest.approx(simplex_by_bisection(step).tolist(), abs=1e-6)
    assert "joao | MUTAG" in output.with_suffix(".md").read_text()
    assert "most likely pair" in capsys.readouterr().out


def test_tu_unsupervised_saves_encoders_that_reload(data_root, tmp_path):
    code = main(["tu-unsupervised", "--datasets", "MUTAG", "--methods", "graphcl", "--epochs", "1",
                 "--classifier", "logistic", "--no-progress", "--save-dir", str(tmp_path)])
    assert code == 0
    encoder = load_encoder(tmp_path / "MUTAG_graphcl_seed0.pt")
    assert isinstance(encoder, GINEncoder) and encoder.out_channels == 96


def test_tu_unsupervised_reports_bad_method(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["tu-unsupervised", "--methods", "dgi"])
    assert exit_info.value.code == 2 and "'dgi'" in capsys.readouterr().err


def test_tu_unsupervised_infograph_mvgrl_and_references(data_root, tmp_path, monkeypatch):
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
