"""Fingerprint-neighbour computation for MoCL's global knowledge: seconds and peak memory.

Morgan fingerprints (radius 3, 2048 bits) of every molecule, RDKit BulkTanimotoSimilarity row by row,
top-k kept per row; never a dense n x n matrix.

    python benchmarks/mocl_neighbours.py --dataset tox21 --k 50 600
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from graphcl.utils import append_jsonl, atomic_write_text, environment_info, markdown_table, peak_memory_mb

RESULTS = Path(__file__).resolve().parent / "results"


def read_smiles(name: str) -> list[str]:
    """SMILES column of a MoleculeNet CSV in the mirror (the computation needs nothing else)."""
    import pandas as pd

    mirror = os.environ.get("GRAPHCL_DATASET_MIRROR")
    if not mirror:
        raise SystemExit("set GRAPHCL_DATASET_MIRROR")
    folder = Path(mirror) / "MoleculeNet"
    path = next((p for p in (folder / f"{name}.csv", folder / f"{name}.csv.gz") if p.is_file()), None)
    if path is None:
        raise SystemExit(f"{name}.csv[.gz] not found in {folder}")
    frame = pd.read_csv(path)
    column = "smiles" if "smiles" in frame.columns else frame.columns[0]
    return frame[column].astype(str).tolist()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="tox21")
    parser.add_argument("--k", type=int, nargs="+", default=[50, 600])
    parser.add_argument("--radius", type=int, default=3)
    parser.add_argument("--n-bits", type=int, default=2048)
    parser.add_argument("--chunk-memory-mb", type=float, default=64.0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="repetitions (deterministic)")
    parser.add_argument("--quick", action="store_true", help="same as the default (already small)")
    parser.add_argument("--out", default=str(RESULTS / "mocl_neighbours"))
    args = parser.parse_args()

    from graphcl.data.fingerprint_neighbours import tanimoto_neighbours

    smiles = read_smiles(args.dataset)
    env = environment_info()
    rows = []
    for k in args.k:
        for seed in args.seeds:
            import time

            before = peak_memory_mb()
            cpu_started = time.process_time()
            result = tanimoto_neighbours(smiles, k=k, radius=args.radius, n_bits=args.n_bits,
                                         chunk_memory_mb=args.chunk_memory_mb, on_invalid="skip")
            record = {"dataset": args.dataset, "molecules": len(smiles), "k": k, "seed": seed,
                      "seconds": result.seconds, "cpu_seconds": time.process_time() - cpu_started, "peak_rss_mb_before": before, "peak_rss_mb": peak_memory_mb(),
                      "invalid_smiles": len(result.invalid), "result_mb": (result.index.numel() * 8 +
                                                                            result.similarity.numel() * 4) / 2**20,
                      "dense_matrix_mb": len(smiles) ** 2 * 8 / 2**20, "config": vars(args), "environment": env}
            append_jsonl(f"{args.out}.jsonl", record)
            rows.append(record)
            print(f"k={k}: {record['seconds']:.1f} s ({record['cpu_seconds']:.1f} CPU s), peak RSS {record['peak_rss_mb']:.0f} MiB "
                  f"(before {before:.0f} MiB), {len(result.invalid)} unparsable SMILES skipped")
    table = markdown_table(
        ["dataset", "molecules", "k", "seconds (wall)", "CPU seconds", "peak RSS MiB (process)", "RSS before MiB", "top-k result MiB",
         "dense float64 n×n would be MiB", "unparsable skipped"],
        [[r["dataset"], r["molecules"], r["k"], f"{r['seconds']:.1f}", f"{r['cpu_seconds']:.1f}",
          f"{r['peak_rss_mb']:.0f}",
          f"{r['peak_rss_mb_before']:.0f}", f"{r['result_mb']:.1f}", f"{r['dense_matrix_mb']:.0f}",
          r["invalid_smiles"]] for r in rows])
    text = (f"# Fingerprint neighbours (Morgan r={args.radius}, {args.n_bits} bits, RDKit BulkTanimotoSimilarity)\n\n"
            f"Load average {env['machine'].get('load_average')}, {env['machine']['cpu']}, one process, "
            f"commit {env['git_commit']}.\n\n" + table)
    atomic_write_text(f"{args.out}.md", text)
    print(text)


if __name__ == "__main__":
    main()
