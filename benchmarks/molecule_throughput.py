"""Molecular pretraining throughput: molecules per second (both views, forward + backward + Adam step) and
the share of time spent in augmentation vs the network.

    python benchmarks/molecule_throughput.py --quick            # 2 CPU cores, a few minutes
    python benchmarks/molecule_throughput.py --device cuda --steps 50
    # fp32 vs bf16 autocast at 1 and 2 threads, measured in alternation (rounds), GraphCL only:
    python benchmarks/molecule_throughput.py --methods graphcl --precisions fp32 bf16 --threads 1 2 \
        --rounds 3 --limit 1024 --steps 3 --out benchmarks/results/molecule_throughput_precision
"""
from __future__ import annotations

import argparse
import os
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


def measure(name: str, dataset, batch_size: int, steps: int, warmup: int, device: torch.device, seed: int,
            precision: str = "fp32"):
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
            # as graphcl.train.train does it: autocast around the forward pass and the loss only
            with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
                loss = method.loss(batch).float()
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
    parser.add_argument("--threads", type=int, nargs="+", default=None,
                        help="torch intra-op thread counts to measure (default: torch's)")
    parser.add_argument("--precisions", nargs="+", default=["fp32"], choices=("fp32", "bf16"),
                        help="fp32 and/or bf16 (autocast, float32 master weights)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="repeat every (threads, precision, method) setting this many times, in alternation")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--quick", action="store_true", help="reduced: 1,024 molecules, 3 timed steps")
    parser.add_argument("--out", default=str(RESULTS / "molecule_throughput"))
    args = parser.parse_args()
    if args.quick:
        args.limit, args.steps = 1024, 3

    from graphcl.utils import mean_std, resolve_device

    device = resolve_device(args.device)
    started = time.perf_counter()
    dataset = read_molecules(args.smiles_file, args.limit)
    load_seconds = time.perf_counter() - started
    env = environment_info()
    rows = []
    for round_index in range(args.rounds):
        for seed in args.seeds:
            for threads in args.threads or [torch.get_num_threads()]:
                torch.set_num_threads(threads)
                for precision in args.precisions:
                    for name in args.methods:
                        load_before = os.getloadavg()[0]
                        record = measure(name, dataset, args.batch_size, args.steps, args.warmup, device, seed,
                                         precision)
                        record.update({"seed": seed, "round": round_index, "threads": threads,
                                       "precision": precision, "load_average_1min": load_before,
                                       "config": vars(args), "device": str(device),
                                       "corpus_load_seconds": load_seconds,
                                       "peak_memory_mb": peak_memory_mb(device), "environment": env,
                                       "quick": args.quick})
                        append_jsonl(f"{args.out}.jsonl", record)
                        rows.append(record)
                        print(f"{name} {precision} {threads} thread(s): {record['molecules_per_second']:.1f} "
                              f"molecules/s, {record['molecules_per_cpu_second']:.1f} per CPU-second, "
                              f"augmentation {100 * record['augmentation_share']:.1f} %")
    load = env["machine"].get("load_average")
    groups: dict[tuple, list] = {}
    for r in rows:
        groups.setdefault((r["method"], r["threads"], r["precision"]), []).append(r)
    table_rows = []
    for (name, threads, precision), group in groups.items():
        speed = mean_std([r["molecules_per_second"] for r in group])
        per_cpu = mean_std([r["molecules_per_cpu_second"] for r in group])
        reference = groups.get((name, threads, "fp32"))
        ratio = (f"{speed[0] / mean_std([r['molecules_per_second'] for r in reference])[0]:.2f}x"
                 if reference else "")
        table_rows.append([name, threads, precision, f"{speed[0]:.1f} ± {speed[1]:.1f}",
                           f"{per_cpu[0]:.1f} ± {per_cpu[1]:.1f}", ratio,
                           f"{100 * sum(r['augmentation_share'] for r in group) / len(group):.1f} %",
                           f"{sum(r['final_loss'] for r in group) / len(group):.3f}", len(group), group[0]["device"]])
    table = markdown_table(["method", "threads", "precision", "molecules/s (2 views, fwd+bwd)",
                            "molecules per CPU-second", "vs fp32", "augmentation share", "last loss", "runs",
                            "device"], table_rows)
    header = (f"# Molecular pretraining throughput{' (reduced: --quick)' if args.quick else ''}\n\n"
              f"MoleculeGINEncoder 5 x 300, batch {args.batch_size}, {args.steps} timed steps after {args.warmup} "
              f"warm-up, ZINC250k (first {args.limit} molecules). Load average at start: {load} on "
              f"{env['machine']['cpu_count']} cores; molecules per CPU-second (process time, all threads) is "
              f"the less load-dependent figure. Settings measured in alternation over {args.rounds} round(s), "
              f"seeds {args.seeds}, mean ± std over rounds and seeds; total {time.perf_counter() - started:.0f} s. "
              f"Commit {env['git_commit']}.\n\n")
    atomic_write_text(f"{args.out}.md", header + table)
    print(header + table)


if __name__ == "__main__":
    main()
