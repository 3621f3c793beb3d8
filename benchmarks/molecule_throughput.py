"""Molecular pretraining throughput: molecules per second (both views, forward + backward + Adam step) and
the share of time spent in augmentation vs the network.

    python benchmarks/molecule_throughput.py --quick            # 2 CPU cores, a few minutes
    python benchmarks/molecule_throughput.py --device cuda --steps 50
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from graphcl.utils import append_jsonl, atomic_write_text, environment_info, markdown_table, peak_memory_mb

RESULTS = Path(__file__).resolve().parent / "results"


class Timed:
    """Wraps a callable and accumulates its wall time."""

    def __init__(self, fn, clock):
        self.fn, self.clock = fn, clock

    def __call__(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return self.fn(*args, **kwargs)
        finally:
            self.clock[0] += time.perf_counter() - started


def instrument(method, clock) -> None:
    """Time every augmentation of ``method`` (the per-graph regrouping of GraphCL's views included)."""
    if hasattr(method, "views") and not hasattr(method, "pair_loss"):
        method.views = Timed(method.views, clock)
    else:
        method.transforms = [Timed(t, clock) for t in method.transforms]


def read_molecules(path: str | None, limit: int) -> list:
    """The first ``limit`` molecules of a SMILES file, featurized like OGB (the timing needs only graphs)."""
    import gzip
    import os

    from graphcl.augment.chemistry import smiles_to_data

    if path is None:
        mirror = os.environ.get("GRAPHCL_DATASET_MIRROR")
        if not mirror:
            raise SystemExit("set GRAPHCL_DATASET_MIRROR or pass --smiles-file")
        path = os.path.join(mirror, "ZINC", "zinc250k_smiles.txt.gz")
    opener = gzip.open if str(path).endswith(".gz") else open
    molecules = []
    with opener(path, "rt") as handle:
        for line in handle:
            fields = line.split()
            if fields and fields[0].lower() != "smiles":
                molecules.append(smiles_to_data(fields[0]))
            if len(molecules) >= limit:
                break
    return molecules


def measure(name: str, dataset, batch_size: int, steps: int, warmup: int, device: torch.device, seed: int):
    from torch_geometric.loader import DataLoader

    from graphcl.train.molecules import build_molecule_method

    torch.manual_seed(seed)
    method = build_molecule_method(name, generator=torch.Generator().manual_seed(seed)).to(device)
    clock = [0.0]
    instrument(method, clock)
    optimizer = torch.optim.Adam(method.parameters(), lr=1e-3)
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=True,
                        generator=torch.Generator().manual_seed(seed))
    total, graphs, done, cpu = 0.0, 0, 0, 0.0
    while done < warmup + steps:
        for batch in loader:
            if done == warmup:
                clock[0], total, graphs, cpu = 0.0, 0.0, 0, 0.0
            started = time.perf_counter()
            cpu_started = time.process_time()
            batch = batch.to(device)
            optimizer.zero_grad(set_to_none=True)
            loss = method.loss(batch)
            loss.backward()
            optimizer.step()
            if device.type == "cuda":
                torch.cuda.synchronize()
            total += time.perf_counter() - started
            cpu += time.process_time() - cpu_started
            graphs += batch.num_graphs
            done += 1
            if done >= warmup + steps:
                break
    return {"method": name, "molecules_per_second": graphs / total, "seconds": total, "molecules": graphs,
            "cpu_seconds": cpu, "molecules_per_cpu_second": graphs / cpu,
            "augmentation_seconds": clock[0], "augmentation_share": clock[0] / total,
            "network_share": 1 - clock[0] / total, "final_loss": float(loss.detach())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smiles-file", default=None,
                        help="SMILES, one per line, .gz allowed (default: the mirror's ZINC250k file)")
    parser.add_argument("--limit", type=int, default=4096)
    parser.add_argument("--methods", nargs="+", default=["graphcl", "joao", "joaov2"])
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--quick", action="store_true", help="reduced: 1,024 molecules, 3 timed steps")
    parser.add_argument("--out", default=str(RESULTS / "molecule_throughput"))
    args = parser.parse_args()
    if args.quick:
        args.limit, args.steps = 1024, 3
    if args.threads:
        torch.set_num_threads(args.threads)

    from graphcl.utils import resolve_device

    device = resolve_device(args.device)
    started = time.perf_counter()
    dataset = read_molecules(args.smiles_file, args.limit)
    load_seconds = time.perf_counter() - started
    env = environment_info()
    rows = []
    for seed in args.seeds:
        for name in args.methods:
            record = measure(name, dataset, args.batch_size, args.steps, args.warmup, device, seed)
            record.update({"seed": seed, "config": vars(args), "device": str(device), "corpus_load_seconds":
                           load_seconds, "peak_memory_mb": peak_memory_mb(device), "environment": env,
                           "quick": args.quick})
            append_jsonl(f"{args.out}.jsonl", record)
            rows.append(record)
            print(f"{name}: {record['molecules_per_second']:.1f} molecules/s, augmentation "
                  f"{100 * record['augmentation_share']:.1f} %")
    load = env["machine"].get("load_average")
    table = markdown_table(
        ["method", "molecules/s (2 views, fwd+bwd)", "molecules per CPU-second", "augmentation share",
         "network share", "device", "threads"],
        [[r["method"], f"{r['molecules_per_second']:.1f}", f"{r['molecules_per_cpu_second']:.1f}", f"{100 * r['augmentation_share']:.1f} %",
          f"{100 * r['network_share']:.1f} %", r["device"], env["machine"]["torch_threads"]] for r in rows])
    header = (f"# Molecular pretraining throughput{' (reduced: --quick)' if args.quick else ''}\n\n"
              f"MoleculeGINEncoder 5 x 300, batch {args.batch_size}, {args.steps} timed steps after {args.warmup} "
              f"warm-up, ZINC250k (first {args.limit} molecules). Load average at start: {load} on "
              f"{env['machine']['cpu_count']} cores; molecules per CPU-second (process time, all threads) is "
              f"the less load-dependent figure. "
              f"Commit {env['git_commit']}.\n\n")
    atomic_write_text(f"{args.out}.md", header + table)
    print(header + table)


if __name__ == "__main__":
    main()
