"""Load every dataset twice from a fresh data root: first-load (copy + process) and cached-load seconds,
plus the statistics of what was loaded, next to the known figures.

    GRAPHCL_DATASET_MIRROR=../shared/datasets python benchmarks/data_cache.py [--quick]

Writes benchmarks/results/data_cache.jsonl (one record per run) and benchmarks/results/data_cache.md.
"""
from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from graphcl.utils import append_jsonl, atomic_write_text, environment_info, markdown_table, peak_memory_mb

RESULTS = Path(__file__).resolve().parent / "results"

#: (kind, name, known figure as stated in the literature / dataset documentation)
DATASETS = [
    ("planetoid", "Cora", "2708 nodes / 10556 edges / 1433 features / 7 classes"),
    ("planetoid", "CiteSeer", "3327 nodes"),
    ("tu", "MUTAG", "188 graphs"),
    ("tu", "PROTEINS", "1113 graphs"),
    ("tu", "NCI1", "4110 graphs"),
    ("tu", "NCI109", "4127 graphs"),
    ("tu", "PTC_MR", "344 graphs"),
    ("tu", "ENZYMES", "600 graphs"),
    ("tu", "IMDB-BINARY", "1000 graphs"),
    ("tu", "IMDB-MULTI", "1500 graphs"),
    ("tu", "DD", "1178 graphs"),
    ("tu", "REDDIT-BINARY", "2000 graphs"),
    ("tu", "COLLAB", "5000 graphs"),
    ("molecules", "BBBP", "2039 molecules"),
    ("molecules", "Tox21", "7831 rows, 12 tasks"),
    ("molecules", "ToxCast", "8576 rows, 617 tasks"),
    ("molecules", "SIDER", "1427 molecules, 27 tasks"),
    ("molecules", "ClinTox", "1478 molecules, 2 tasks"),
    ("molecules", "MUV", "93087 molecules, 17 tasks"),
    ("molecules", "HIV", "41127 rows"),
    ("molecules", "BACE", "1513 molecules"),
    ("molecules", "ESOL", "1128 molecules"),
    ("molecules", "FreeSolv", "642 molecules"),
    ("molecules", "Lipophilicity", "4200 molecules"),
    ("corpus", "zinc250k", "249455 molecules"),
]
QUICK = {"Cora", "MUTAG", "IMDB-BINARY", "DD", "BBBP", "ESOL"}


def load(kind: str, name: str, root: Path, workers: int | None):
    from graphcl.data import load_moleculenet, load_planetoid, load_smiles_corpus, load_tu

    if kind == "planetoid":
        return load_planetoid(name, root=root)
    if kind == "tu":
        return load_tu(name, root=root)
    if kind == "molecules":
        return load_moleculenet(name, root=root, num_workers=workers, show_progress=False)
    return load_smiles_corpus(name, root=root, num_workers=workers, show_progress=False)


def statistics(kind: str, loaded) -> dict:
    if kind == "planetoid":
        return {"graphs": 1, "nodes": loaded.num_nodes, "edges": loaded.num_edges,
                "features": loaded.num_features, "classes": int(loaded.y.max()) + 1}
    storage = loaded._data
    stats = {"graphs": len(loaded), "nodes": int(storage.x.size(0)), "edges": int(storage.edge_index.size(1)),
             "features": int(storage.x.size(1))}
    if kind == "tu":
        stats["classes"] = loaded.num_classes
    else:
        stats["tasks"] = loaded.num_tasks
        stats["task_type"] = loaded.task_type
        stats["invalid_smiles"] = loaded.invalid_smiles.count
        stats["rows"] = loaded.invalid_smiles.total
    return stats


def pool_speedup(root: Path, size: int) -> dict:
    """Featurize the first ``size`` ZINC250k SMILES in this process and with a two-process pool."""
    from graphcl.data import featurize_smiles, load_smiles_corpus
    from graphcl.data.molecules import read_smiles_file

    load_smiles_corpus("zinc250k", root=root, limit=1, show_progress=False)  # copies the raw file
    smiles, _, _, _ = read_smiles_file(root / "ZINC" / "raw" / "zinc250k_smiles.txt.gz", limit=size)
    out = {"molecules": len(smiles)}
    for workers in (0, 2):
        start = time.perf_counter()
        featurize_smiles(smiles, num_workers=workers, show_progress=False)
        out[f"seconds_workers_{workers}"] = round(time.perf_counter() - start, 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"only {sorted(QUICK)}")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0],
                        help="repeat labels: each repeat loads everything from a new data root")
    parser.add_argument("--datasets", nargs="+", default=None, help="subset of dataset names")
    parser.add_argument("--workers", type=int, default=None, help="featurization processes (default: auto)")
    parser.add_argument("--pool-check", type=int, default=20000,
                        help="ZINC molecules for the serial-vs-pool timing (0 to skip)")
    parser.add_argument("--scratch", default=None, help="where the fresh data roots go (default: temp dir)")
    parser.add_argument("--out", default=str(RESULTS / "data_cache"))
    args = parser.parse_args()
    if not os.environ.get("GRAPHCL_DATASET_MIRROR"):
        parser.error("set GRAPHCL_DATASET_MIRROR to the offline dataset mirror")
    os.environ.setdefault("GRAPHCL_NO_PROGRESS", "1")

    selected = [d for d in DATASETS if (not args.quick or d[1] in QUICK)
                and (args.datasets is None or d[1] in args.datasets)]
    # import everything first so that no timing includes a first import
    import graphcl.data  # noqa: F401
    import ogb.utils  # noqa: F401
    import rdkit.Chem  # noqa: F401
    import torch_geometric.datasets  # noqa: F401

    environment = environment_info()  # taken before the runs: the commit of the code that runs
    rows, per_seed = [], []
    for seed in args.seeds:
        scratch = Path(tempfile.mkdtemp(prefix="graphcl-data-", dir=args.scratch))
        try:
            results = []
            for kind, name, known in selected:
                root = scratch / "root"
                start = time.perf_counter()
                first = load(kind, name, root, args.workers)
                first_seconds = time.perf_counter() - start
                del first
                start = time.perf_counter()
                cached = load(kind, name, root, args.workers)
                cached_seconds = time.perf_counter() - start
                record = {"dataset": name, "kind": kind, "known": known, "first_load_s": round(first_seconds, 2),
                          "cached_load_s": round(cached_seconds, 3), **statistics(kind, cached)}
                del cached
                # free the large raw/processed files of this dataset before the next one
                shutil.rmtree(root, ignore_errors=True)
                print(record, flush=True)
                results.append(record)
            pool = pool_speedup(scratch / "pool", args.pool_check) if args.pool_check and not args.quick else None
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        per_seed.append({"seed": seed, "datasets": results, "featurization_pool": pool})

    record = {"benchmark": "data_cache", "config": vars(args), "environment": environment,
              "load_average_end": os.getloadavg(), "peak_memory_mb": peak_memory_mb(), "runs": per_seed}
    out = Path(args.out)
    append_jsonl(out.with_suffix(".jsonl"), record)

    for run in per_seed:
        for r in run["datasets"]:
            size = f"{r['graphs']} graphs" if r["graphs"] > 1 else f"{r['nodes']} nodes"
            labels = f"{r['classes']} classes" if "classes" in r else f"{r['tasks']} tasks ({r['task_type']})"
            extra = f", {r['invalid_smiles']} of {r['rows']} rows invalid" if r.get("invalid_smiles") else ""
            rows.append([r["dataset"], size + extra, r["nodes"], r["edges"], r["features"], labels, r["known"],
                         f"{r['first_load_s']:.2f}", f"{r['cached_load_s']:.3f}"])
    header = ["dataset", "loaded", "nodes", "directed edges", "node features", "labels", "known", "first load (s)",
              "cached load (s)"]
    text = ["# Dataset loading: statistics, first vs cached load", "",
            f"Command: `python benchmarks/data_cache.py{' --quick' if args.quick else ''}` "
            f"(seeds {args.seeds}); commit {record['environment'].get('git_commit')}; "
            f"machine {record['environment'].get('machine', {}).get('cpu')}, "
            f"{record['environment'].get('machine', {}).get('cpu_count')} cores; load average at the end "
            f"{', '.join(f'{v:.2f}' for v in record['load_average_end'])} (shared machine).", "",
            "First load = copy from the mirror + PyG/OGB processing + save; cached load = the same call again "
            "(processed files reused). Peak memory of the run: "
            f"{record['peak_memory_mb']:.0f} MB.", "",
            markdown_table(header, rows)]
    for run in per_seed:
        if run["featurization_pool"]:
            p = run["featurization_pool"]
            text += [f"Featurizing the first {p['molecules']} ZINC250k SMILES: {p['seconds_workers_0']} s in one "
                     f"process, {p['seconds_workers_2']} s with a two-process pool (seed {run['seed']}).", ""]
    atomic_write_text(out.with_suffix(".md"), "\n".join(text))
    print(out.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
