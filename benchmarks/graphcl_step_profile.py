"""Where a GraphCL training epoch spends its time: data loading and per-graph augmentation, before and after.

GraphCL (default ``random2``: each graph draws node dropping or subgraph sampling, p = 0.2) on a TU dataset
(NCI1 by default) with a GIN 3 x 32 encoder, batches of 128, Adam, one torch thread. Each epoch is timed
twice in the same process, alternating the order:

* before: PyG's ``DataLoader`` (``Batch.from_data_list`` per batch) and the per-graph augmentation of graphcl
  before it was vectorized (kept in ``benchmarks/legacy_per_graph.py``: ``Batch.to_data_list``, one
  ``Batch.from_data_list`` per drawn augmentation, then a merge back into graph order);
* after: :class:`graphcl.data.InMemoryGraphLoader` (collation by index arithmetic, what the training loop
  uses for an in-memory dataset) and :func:`graphcl.augment.random_choice_per_graph`.

Both go through ``GraphCL.loss`` (the ``random_choice_per_graph`` that ``graphcl.methods.base.graph_views``
calls is swapped for the measurement), with the same seed, model initialisation and batch order (both
loaders draw the same sampler from identically seeded generators and give equal batches). Reported per
epoch: wall and process-CPU seconds of the whole epoch (data loading included), of the data loading, of the
training steps (loss, backward, optimizer step), of the augmentation, and the augmentation's share of a
training step.

    PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/graphcl_step_profile.py --seeds 0 1 2 --epochs 3
    PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/graphcl_step_profile.py --quick
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path
from typing import Callable, Optional, Sequence

import torch
from torch_geometric.data import Data
from torch_geometric.loader import DataLoader

import graphcl.methods.base as method_base
from benchmarks.legacy_per_graph import loop_augment_per_graph
from graphcl.augment import random_choice_per_graph
from graphcl.data import InMemoryGraphLoader, load_tu
from graphcl.methods.graphcl_graph import GraphCL
from graphcl.nn.gin import GINEncoder
from graphcl.utils import (append_jsonl, atomic_write_text, environment_info, format_mean_std, markdown_table,
                           mean_std, seed_everything)

RESULTS = Path(__file__).resolve().parent / "results"


def vectorized_augment_per_graph(data: Data, transforms: Sequence[Callable[[Data], Data]],
                                 generator: Optional[torch.Generator] = None) -> Data:
    return random_choice_per_graph(data, transforms, generator=generator)


def loop_choice(data: Data, transforms: Sequence[Callable[[Data], Data]],
                generator: Optional[torch.Generator] = None) -> Data:
    return loop_augment_per_graph(data, transforms, generator)


# name -> (loader class, per-graph augmentation with random_choice_per_graph's signature)
PATHS = {"before: PyG loader + loop": (DataLoader, loop_choice),
         "after: index loader + vectorized": (InMemoryGraphLoader, vectorized_augment_per_graph)}


class _Clock:
    """Wall and process-CPU seconds accumulated over the timed calls."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0

    @contextlib.contextmanager
    def timing(self):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.wall += time.perf_counter() - wall
            self.cpu += time.process_time() - cpu


@contextlib.contextmanager
def augmentation_path(path: Callable, clock: _Clock):
    """Route ``GraphCL.views`` (``graphcl.methods.base.graph_views``) through ``path`` and time every call."""
    calls = [0]

    def timed(data, transforms, generator=None):
        calls[0] += 1
        with clock.timing():
            return path(data, transforms, generator)

    original = method_base.random_choice_per_graph
    method_base.random_choice_per_graph = timed
    try:
        yield
    finally:
        method_base.random_choice_per_graph = original
    if not calls[0]:
        raise RuntimeError("GraphCL.loss did not call graphcl.methods.base.random_choice_per_graph: the "
                           "augmentation was not measured")


def run_epoch(model: GraphCL, optimizer: torch.optim.Optimizer, loader: DataLoader, path: Callable,
              max_batches: Optional[int]) -> dict[str, float]:
    epoch, steps, augment, loading = _Clock(), _Clock(), _Clock(), _Clock()
    batches = 0
    model.train()
    with epoch.timing(), augmentation_path(path, augment):
        iterator = iter(loader)
        while max_batches is None or batches < max_batches:
            with loading.timing():
                batch = next(iterator, None)
            if batch is None:
                break
            with steps.timing():
                optimizer.zero_grad()
                loss = model.loss(batch)
                loss.backward()
                optimizer.step()
            batches += 1
    return {"batches": batches, "loss_last": float(loss.detach()),
            "epoch_wall_s": epoch.wall, "epoch_cpu_s": epoch.cpu, "step_wall_s": steps.wall, "step_cpu_s": steps.cpu,
            "augment_wall_s": augment.wall, "augment_cpu_s": augment.cpu, "loading_wall_s": loading.wall,
            "loading_cpu_s": loading.cpu, "augment_share_of_step_wall": augment.wall / steps.wall,
            "augment_share_of_step_cpu": augment.cpu / steps.cpu}


def build(dataset, seed: int, args, loader_class) -> tuple[GraphCL, torch.optim.Optimizer, DataLoader]:
    seed_everything(seed)
    encoder = GINEncoder(dataset.num_features, args.hidden_channels, num_layers=args.num_layers)
    model = GraphCL(encoder, augmentation=args.augmentation, p=args.p, generator=torch.Generator().manual_seed(seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    loader = loader_class(dataset, batch_size=args.batch_size, shuffle=True,
                          generator=torch.Generator().manual_seed(seed))
    return model, optimizer, loader


def summarize(records: list[dict], args, started: str, seconds: float) -> str:
    env = records[0]["environment"] if records else environment_info()
    rows = []
    by_path: dict[str, dict[str, list[float]]] = {}
    for name in PATHS:
        # One value per seed: the mean over that seed's measured epochs.
        per_seed: dict[str, list[float]] = {}
        for seed in args.seeds:
            mine = [r for r in records if r["path"] == name and r["seed"] == seed]
            for key in ("epoch_wall_s", "epoch_cpu_s", "step_cpu_s", "augment_cpu_s", "loading_cpu_s",
                        "augment_share_of_step_cpu", "augment_share_of_step_wall"):
                per_seed.setdefault(key, []).append(sum(r[key] for r in mine) / len(mine))
        by_path[name] = per_seed
        rows.append([name, format_mean_std(per_seed["epoch_wall_s"], digits=3),
                     format_mean_std(per_seed["epoch_cpu_s"], digits=3),
                     format_mean_std(per_seed["step_cpu_s"], digits=3),
                     format_mean_std(per_seed["augment_cpu_s"], digits=3),
                     format_mean_std(per_seed["loading_cpu_s"], digits=3),
                     format_mean_std(per_seed["augment_share_of_step_cpu"], scale=100, digits=1),
                     format_mean_std(per_seed["augment_share_of_step_wall"], scale=100, digits=1)])
    before, after = (by_path[name] for name in PATHS)
    speedups = {key: [b / a for b, a in zip(before[key], after[key])]
                for key in ("epoch_wall_s", "epoch_cpu_s", "augment_cpu_s", "loading_cpu_s")}
    header = ["path", "s/epoch (wall)", "s/epoch (CPU)", "training steps s/epoch (CPU)",
              "augmentation s/epoch (CPU)", "data loading s/epoch (CPU)", "augmentation % of a step (CPU)",
              "augmentation % of a step (wall)"]
    budget = f"{args.max_batches} batches" if args.max_batches else "full epochs"
    return (
        f"# GraphCL training step profile: {args.dataset}, `{args.augmentation}`, batch {args.batch_size}, "
        f"GIN {args.num_layers} x {args.hidden_channels}\n\n"
        f"Started {started} UTC, {seconds:.0f} s in all; {env['machine'].get('cpu')} "
        f"({env['machine'].get('cpu_count')} "
        f"cores, load average at the end {tuple(round(x, 2) for x in os.getloadavg())}), {args.threads} torch "
        f"thread(s), torch {env['versions'].get('torch')}, torch_geometric {env['versions'].get('torch_geometric')}, "
        f"commit {env['git_commit']}.{' QUICK MODE.' if args.quick else ''}\n\n"
        f"Seeds {args.seeds}; per seed {args.epochs} measured epochs ({budget}) per path after {args.warmup} "
        f"warm-up epoch(s), the two paths alternating epoch by epoch in one process on the same model "
        f"initialisation and batch order. Mean ± std over seeds of each seed's mean epoch. A training step is "
        f"loss + backward + optimizer step; the epoch adds data loading (collation); CPU time is process time, the "
        f"figure to compare on a shared machine.\n\n"
        + markdown_table(header, rows) +
        f"\nSpeedup after/before: epoch {format_mean_std(speedups['epoch_wall_s'], digits=2)}x (wall), "
        f"{format_mean_std(speedups['epoch_cpu_s'], digits=2)}x (CPU); augmentation "
        f"{format_mean_std(speedups['augment_cpu_s'], digits=1)}x (CPU); data loading "
        f"{format_mean_std(speedups['loading_cpu_s'], digits=1)}x (CPU).\n\n"
        f"    PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/graphcl_step_profile.py {' '.join(args.argv)}\n"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="NCI1")
    parser.add_argument("--augmentation", default="random2")
    parser.add_argument("--p", type=float, default=0.2)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--hidden-channels", type=int, default=32)
    parser.add_argument("--num-layers", type=int, default=3)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=3, help="measured epochs per path and seed")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured epochs per path and seed")
    parser.add_argument("--max-batches", type=int, default=None, help="batches per epoch (default: all)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="MUTAG, one seed, one epoch of 5 batches")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    if args.quick:
        args.dataset, args.seeds, args.epochs, args.warmup, args.max_batches = "MUTAG", args.seeds[:1], 1, 1, 5
    torch.set_num_threads(args.threads)
    stem = "graphcl_step_profile_quick" if args.quick else "graphcl_step_profile"
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    start = time.perf_counter()
    dataset = load_tu(args.dataset)
    environment = environment_info()
    records = []
    for seed in args.seeds:
        # One model per path, identical initialisation and batch order; epochs alternate between them.
        runs = {name: build(dataset, seed, args, PATHS[name][0]) for name in PATHS}
        names = list(PATHS)
        for epoch in range(args.warmup + args.epochs):
            order = names if epoch % 2 == 0 else names[::-1]
            for name in order:
                model, optimizer, loader = runs[name]
                result = run_epoch(model, optimizer, loader, PATHS[name][1], args.max_batches)
                if epoch < args.warmup:
                    continue
                record = {"benchmark": "graphcl_step_profile", "path": name, "seed": seed,
                          "epoch": epoch - args.warmup, "dataset": args.dataset, "augmentation": args.augmentation,
                          "p": args.p, "batch_size": args.batch_size, "hidden_channels": args.hidden_channels,
                          "num_layers": args.num_layers, "threads": args.threads, "quick": args.quick, **result,
                          "load_average": os.getloadavg(), "environment": environment}
                records.append(record)
                append_jsonl(args.results / f"{stem}.jsonl", record)
                print(f"seed {seed} epoch {record['epoch']} {name:33s} epoch {result['epoch_wall_s']:.3f} s wall "
                      f"{result['epoch_cpu_s']:.3f} s CPU | augmentation {result['augment_cpu_s']:.3f} s CPU "
                      f"({100 * result['augment_share_of_step_cpu']:.1f} % of steps)", flush=True)
    summary = summarize(records, args, started, time.perf_counter() - start)
    atomic_write_text(args.results / f"{stem}.md", summary)
    print(summary)


if __name__ == "__main__":
    main()
