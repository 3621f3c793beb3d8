"""Two CPU processes under torchrun (gloo): replicas must end with identical weights."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from graphcl.train import distributed_env

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
    script = tmp_path / "train_ddp.py"
    script.write_text(SCRIPT)
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, OMP_NUM_THREADS="1", GRAPHCL_NO_PROGRESS="1",
               PYTHONPATH=os.pathsep.join([str(root), str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]))
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(key, None)
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
               str(script), str(tmp_path)]
    completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
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
