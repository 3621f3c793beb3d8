"""Two CPU processes under torchrun (gloo): replicas must end with identical weights."""
import textwrap

import pytest
import torch

from graphcl.train import distributed_env
from train_helpers import run_torchrun

SCRIPT = textwrap.dedent(
    """
    import os, sys
    import torch
    from graphcl.train import pretrain
    from train_helpers import NoisyViews, random_graphs

    rank = int(os.environ["RANK"])
    out = sys.argv[1]
    torch.manual_seed(100 + rank)  # different initial weights per rank: DDP must broadcast rank 0's
    method = NoisyViews(seed=rank)
    result = pretrain(method, random_graphs(20), epochs=2, batch_size=4, progress=False, seed=5,
                      checkpoint_dir=os.path.join(out, "ckpt"))
    torch.save({"state": method.state_dict(), "history": result.history, "world_size": result.world_size},
               os.path.join(out, f"rank{rank}.pt"))
    """
)


def test_torchrun_two_processes_hold_identical_weights(tmp_path):
    completed = run_torchrun(SCRIPT, tmp_path)
    assert completed.returncode == 0, completed.stderr[-3000:]

    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=False) for r in range(2)]
    assert ranks[0]["world_size"] == ranks[1]["world_size"] == 2
    for key, value in ranks[0]["state"].items():
        assert torch.equal(value, ranks[1]["state"][key]), key
    # losses are all-reduced: every rank records the same history over the full dataset
    assert [r["loss"] for r in ranks[0]["history"]] == [r["loss"] for r in ranks[1]["history"]]
    assert all(r["graphs"] == 20 for r in ranks[0]["history"])
    # rank 0 alone wrote the checkpoint; it holds the trained weights
    checkpoint = torch.load(tmp_path / "ckpt" / "last.pt", weights_only=False)
    assert checkpoint["epoch"] == 2 and len(checkpoint["rng"]) == 2
    for key, value in checkpoint["model"].items():
        assert torch.equal(value, ranks[0]["state"][key]), key


def test_distributed_env_parsing(monkeypatch):
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(key, raising=False)
    assert distributed_env() == (0, 0, 1)
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    assert distributed_env() == (1, 1, 2)
    monkeypatch.setenv("RANK", "2")
    with pytest.raises(ValueError, match="RANK"):
        distributed_env()
