"""MoCL pretraining with the RDKit substitution in the main process vs in DataLoader workers.

With ``num_workers > 0`` the two DK-k substitutions of each molecule run in worker processes
(:class:`graphcl.data.AugmentedViews`) while the main process trains the network, so on a machine with a
spare core the epoch takes about the longer of the two instead of their sum. The settings alternate round by
round in one process, so both see the same machine load.

    python benchmarks/mocl_workers.py --rounds 3 --workers 0 1      # BACE, 768 molecules, GIN 5 x 300
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch

from graphcl.data import load_moleculenet
from graphcl.data.views import AugmentedViews
from graphcl.methods.mocl import build_mocl
from graphcl.nn import MoleculeGINEncoder
from graphcl.train import TrainingOptions, train
from graphcl.utils import append_jsonl, atomic_write_text, environment_info, markdown_table, seed_everything

RESULTS = Path(__file__).resolve().parent / "results"


class TimedSubstitution:
    """The substitution with its wall time accumulated (main-process runs only)."""

    def __init__(self, substitution) -> None:
        self.substitution, self.seconds = substitution, 0.0

    def __getattr__(self, name):
        return getattr(self.substitution, name)

    def __call__(self, data):
        started = time.perf_counter()
        try:
            return self.substitution(data)
        finally:
            self.seconds += time.perf_counter() - started


def one_epoch(dataset, smiles, workers: int, seed: int, args) -> dict:
    seed_everything(seed)
    encoder = MoleculeGINEncoder(hidden_channels=args.hidden_channels, num_layers=args.num_layers)
    method = build_mocl(smiles, encoder=encoder, depth=args.depth, global_mode=None,
                        generator=torch.Generator().manual_seed(seed), show_progress=False)
    timed = None
    if workers == 0:
        timed = method.substitution = TimedSubstitution(method.substitution)
    data = AugmentedViews(dataset, method.substitution) if workers else dataset
    options = TrainingOptions(epochs=1, batch_size=args.batch_size, seed=seed, progress=False, num_workers=workers)
    result = train(method, data, options)
    seconds = result.history[0]["seconds"]
    return {"workers": workers, "seed": seed, "seconds_per_epoch": seconds, "molecules_per_second": len(dataset) / seconds,
            "substitution_seconds": timed.seconds if timed is not None else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="bace")
    parser.add_argument("--limit", type=int, default=768)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--rounds", type=int, default=3, help="each round runs every setting once, seed = round")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--hidden-channels", type=int, default=300)
    parser.add_argument("--num-layers", type=int, default=5)
    parser.add_argument("--depth", type=int, default=1, help="DK-k substitution depth")
    parser.add_argument("--threads", type=int, default=1, help="torch threads of the main process")
    parser.add_argument("--out", default=str(RESULTS / "mocl_workers"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    dataset = load_moleculenet(args.dataset)[:args.limit]
    smiles = [dataset[i].smiles for i in range(len(dataset))]
    environment = environment_info()
    started = time.perf_counter()
    records = []
    for round_ in range(args.rounds):
        for workers in args.workers:
            record = {**one_epoch(dataset, smiles, workers, round_, args), "round": round_, "config": vars(args),
                      "load_average": os.getloadavg(), "environment": environment}
            append_jsonl(f"{args.out}.jsonl", record)
            records.append(record)
            print(f"round {round_} workers {workers}: {record['seconds_per_epoch']:.1f} s/epoch "
                  f"({record['molecules_per_second']:.1f} molecules/s)", flush=True)
    rows = []
    for workers in args.workers:
        mine = [r for r in records if r["workers"] == workers]
        seconds = [r["seconds_per_epoch"] for r in mine]
        substitution = [r["substitution_seconds"] for r in mine if r["substitution_seconds"] is not None]
        rows.append([workers, f"{statistics.mean(seconds):.1f} ± {statistics.pstdev(seconds):.1f}",
                     f"{statistics.mean(len(dataset) / s for s in seconds):.1f}",
                     f"{statistics.mean(substitution):.1f}" if substitution else "in the workers", len(mine)])
    machine = environment["machine"]
    text = (f"# MoCL: RDKit substitution in the main process vs in DataLoader workers\n\n"
            f"`python benchmarks/mocl_workers.py {' '.join(sys.argv[1:])}`: {args.dataset} ({len(dataset)} molecules), one epoch per run, GIN "
            f"{args.num_layers} x {args.hidden_channels}, batch {args.batch_size}, DK-{args.depth}, no global term; "
            f"{args.threads} torch thread(s) in the main process; settings alternate round by round (seed = round). "
            f"Machine: {machine['cpu']} ({machine['cpu_count']} cores), git {environment['git_commit']}, load "
            f"average at the start {records[0]['load_average'][0]:.1f}; {time.perf_counter() - started:.0f} s in "
            f"all. Mean ± std over rounds.\n\n"
            + markdown_table(["workers", "s/epoch", "molecules/s", "substitution s/epoch (main process)", "rounds"],
                             rows) + "\n")
    atomic_write_text(f"{args.out}.md", text)
    print(text)


if __name__ == "__main__":
    main()
