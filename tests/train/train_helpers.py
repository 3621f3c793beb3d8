"""A small stand-in method and synthetic graphs for the trainer tests."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import torch
from torch import nn
from torch_geometric.data import Data
from torch_geometric.nn import GINConv, global_mean_pool


def random_graphs(count: int = 24, seed: int = 0, in_channels: int = 4) -> list[Data]:
    generator = torch.Generator().manual_seed(seed)
    graphs = []
    for _ in range(count):
        n = int(torch.randint(4, 9, (1,), generator=generator))
        src = torch.arange(n - 1)
        edge_index = torch.stack([torch.cat([src, src + 1]), torch.cat([src + 1, src])])
        graphs.append(Data(x=torch.randn(n, in_channels, generator=generator), edge_index=edge_index))
    return graphs


class NoisyViews(nn.Module):
    """Two views by Gaussian feature noise (global RNG) plus one by an owned generator; InfoNCE-like loss."""

    def __init__(self, in_channels: int = 4, hidden: int = 8, seed: int = 0):
        super().__init__()
        self.conv = GINConv(nn.Sequential(nn.Linear(in_channels, hidden), nn.ReLU(), nn.Linear(hidden, hidden)))
        self.head = nn.Linear(hidden, hidden)
        self.unused_head = nn.Linear(hidden, hidden)  # exercises find_unused_parameters under DDP
        self.generator = torch.Generator().manual_seed(seed)
        self.register_buffer("epochs_seen", torch.zeros((), dtype=torch.long))

    def embed_views(self, batch):
        x1 = batch.x + 0.1 * torch.randn_like(batch.x)
        x2 = batch.x + 0.1 * torch.randn(batch.x.shape, generator=self.generator)
        z = [self.head(global_mean_pool(self.conv(x, batch.edge_index), batch.batch)) for x in (x1, x2)]
        return [nn.functional.normalize(v, dim=1) for v in z]

    def loss(self, batch):
        z1, z2 = self.embed_views(batch)
        logits = z1 @ z2.t() / 0.5
        return nn.functional.cross_entropy(logits, torch.arange(len(z1)))

    def on_epoch_end(self, loader):
        self.epochs_seen += 1
        return {"epochs_seen": int(self.epochs_seen)}


def run_torchrun(script_text: str, workdir: Path, processes: int = 2, timeout: float = 180) -> subprocess.CompletedProcess:
    """Run ``script_text`` under ``torchrun --standalone`` with ``processes`` CPU ranks (gloo), the script's
    folder and the repository on the path and ``workdir`` as its argument. On a timeout the whole process
    group (launcher and ranks) is killed, so a hung rank cannot outlive the test."""
    script = workdir / "torchrun_script.py"
    script.write_text(script_text)
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, OMP_NUM_THREADS="1", GRAPHCL_NO_PROGRESS="1",
               PYTHONPATH=os.pathsep.join([str(root), str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]))
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(key, None)
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}",
               str(script), str(workdir)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        raise AssertionError(f"torchrun did not finish within {timeout} s; stderr:\n{stderr[-3000:]}") from None
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
