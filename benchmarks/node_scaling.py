"""Scaling of node-level DGI with graph size, and mini-batch vs full-batch accuracy on Planetoid.

Two experiments:

- ``scaling``: random graphs with community structure (:func:`graphcl.data.community_graph`, 128 features,
  average degree 10) of 0.25 M, 0.5 M, 1 M and 2 M nodes. For each, in a fresh process whose address space
  is capped (``--memory-cap-gib``, default 12 GiB: the 24 GiB machine is shared), it measures peak RSS and
  seconds per epoch of mini-batch DGI (``--batch-size 1024``, neighbours ``10 10``, 2-layer GCN, 512
  units; epoch time extrapolated from ``--timed-batches`` timed batches after one warm-up batch) and of
  full-batch DGI with the same encoder (``--full-epochs`` epochs), or records that it did not fit.
- ``accuracy``: DGI on Cora and CiteSeer with DGI's encoder (1 GCN layer, 512 units), full batch with early
  stopping vs mini-batch (``--minibatch-size`` seeds, ``--minibatch-neighbors`` neighbours,
  ``--minibatch-epochs`` epochs), linear probe on the public split, per seed, in the same run.

    python benchmarks/node_scaling.py                          # both, default budgets
    python benchmarks/node_scaling.py --experiments accuracy --seeds 0 1 2 3 4

Writes JSON lines to ``benchmarks/results/node_scaling.jsonl`` and the table to ``node_scaling.md``.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

from graphcl.data import community_graph
from graphcl.eval.node_protocol import run_node_pretraining
from graphcl.methods import DGI, train_full_batch
from graphcl.data.neighbor_sampler import neighbor_loader
from graphcl.utils import (append_jsonl, atomic_write_text, environment_info, make_generator, peak_memory_mb,
                           read_jsonl, seed_everything)

RESULTS = Path(__file__).resolve().parent / "results"
SIZES = (250_000, 500_000, 1_000_000, 2_000_000)


def graph_path(cache: Path, num_nodes: int) -> Path:
    return cache / f"community_{num_nodes}_deg10_f128.pt"


def ensure_graph(cache: Path, num_nodes: int) -> Path:
    """Generate (once) and save the graph of ``num_nodes`` nodes; labels dropped (no probe here)."""
    path = graph_path(cache, num_nodes)
    if not path.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        data = community_graph(num_nodes, average_degree=10, num_features=128, labels=False, seed=0)
        tmp = path.with_suffix(".partial")
        torch.save(data, tmp)
        os.replace(tmp, path)
    return path


def measure_child(mode: str, path: str, timed_batches: int, full_epochs: int) -> dict:
    """Runs inside the capped child process; returns the measurement."""
    seed_everything(0)
    start = time.perf_counter()
    data = torch.load(path, weights_only=False)
    load_seconds = time.perf_counter() - start
    rss_after_load = peak_memory_mb()
    method = DGI(data.num_features, 512, num_layers=2, generator=make_generator(0))
    optimizer = torch.optim.Adam(method.parameters(), lr=0.001)
    out = {"mode": mode, "num_nodes": int(data.num_nodes), "num_edges": int(data.num_edges),
           "load_seconds": load_seconds, "peak_rss_after_load_mb": rss_after_load}
    if mode == "minibatch":
        start = time.perf_counter()
        loader = neighbor_loader(data, [10, 10], batch_size=1024, generator=make_generator(0))
        out["sampler_setup_seconds"] = time.perf_counter() - start
        out["batches_per_epoch"] = len(loader)
        times, cpu_times, sizes = [], [], []
        method.train()
        started, cpu_started = time.perf_counter(), time.process_time()
        for step, batch in enumerate(loader):
            if step > timed_batches:
                break
            optimizer.zero_grad()
            loss = method.loss(batch)
            loss.backward()
            optimizer.step()
            now, cpu_now = time.perf_counter(), time.process_time()
            if step > 0:  # the first batch is a warm-up
                times.append(now - started)
                cpu_times.append(cpu_now - cpu_started)
                sizes.append(int(batch.num_nodes))
            started, cpu_started = now, cpu_now
        out["timed_batches"] = len(times)
        out["seconds_per_batch"] = statistics.mean(times)
        out["seconds_per_epoch"] = out["seconds_per_batch"] * out["batches_per_epoch"]
        out["cpu_seconds_per_batch"] = statistics.mean(cpu_times)
        out["cpu_seconds_per_epoch"] = out["cpu_seconds_per_batch"] * out["batches_per_epoch"]
        out["sampled_nodes_per_batch"] = statistics.mean(sizes)
    else:
        cpu_started = time.process_time()
        result = train_full_batch(method, data, epochs=full_epochs, patience=None, progress=False)
        out["cpu_seconds_per_epoch"] = (time.process_time() - cpu_started) / max(result.epochs, 1)
        out["epochs"] = result.epochs
        out["seconds_per_epoch"] = result.seconds_per_epoch
    out["peak_rss_mb"] = peak_memory_mb()
    return out


def run_capped(mode: str, path: Path, cap_gib: float, timed_batches: int, full_epochs: int,
               timeout: float | None = None) -> dict:
    """One measurement in a fresh process with ``RLIMIT_AS`` set to ``cap_gib`` (and a wall-clock budget)."""
    cap = int(cap_gib * 2**30)

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    command = [sys.executable, __file__, "--child", mode, str(path), str(timed_batches), str(full_epochs)]
    started = time.perf_counter()
    try:
        completed = subprocess.run(command, capture_output=True, text=True, preexec_fn=limit, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"mode": mode, "fits": None, "timed_out": True, "timeout_seconds": timeout,
                "wall_seconds": time.perf_counter() - started}
    wall = time.perf_counter() - started
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    if completed.returncode == 0 and lines:
        return {**json.loads(lines[-1]), "fits": True, "wall_seconds": wall}
    tail = completed.stderr.strip().splitlines()[-1:] if completed.stderr else []
    return {"mode": mode, "fits": False, "returncode": completed.returncode, "error": " ".join(tail)[-300:],
            "wall_seconds": wall}


def scaling(args, base, jsonl) -> None:
    cache = Path(args.cache)
    for mode in ("minibatch", "full"):  # every mini-batch size first: the full-batch runs are the long ones
        for num_nodes in args.sizes:
            path = ensure_graph(cache, num_nodes)
            if mode == "full" and num_nodes > args.full_max_nodes:
                record = {"mode": mode, "fits": None, "skipped": f"a smaller graph did not fit"}
            else:
                record = run_capped(mode, path, args.memory_cap_gib, args.timed_batches, args.full_epochs,
                                    timeout=args.timeout)
            record.update(num_nodes_target=num_nodes, memory_cap_gib=args.memory_cap_gib)
            print(json.dumps({k: v for k, v in record.items() if k != "environment"}), flush=True)
            append_jsonl(jsonl, {**base, "kind": "scaling", **record})
            if mode == "full" and record.get("fits") is False:
                args.full_max_nodes = min(args.full_max_nodes, num_nodes)


def accuracy(args, base, jsonl) -> None:
    for dataset in args.datasets:
        for seed in args.seeds:
            for mode in args.modes:
                extra = {} if mode == "full" else {"batch_size": args.minibatch_size,
                                                   "num_neighbors": args.minibatch_neighbors,
                                                   "epochs": args.minibatch_epochs}
                _, record = run_node_pretraining(method="dgi", dataset=dataset, seed=seed, num_layers=1,
                                                 progress=False, **extra)
                print(f"{dataset} {mode} seed {seed}: {record['accuracy']['test_mean']:.2f} "
                      f"({record['epochs_run']} epochs, {record['seconds_per_epoch']:.3f} s/epoch)")
                append_jsonl(jsonl, {**base, "kind": "accuracy", "mode": mode, "dataset": dataset, **record})


def _mean_std(values) -> str:
    if not values:
        return "—"
    std = statistics.pstdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.2f} ± {std:.2f}"


def _full_batch_extrapolation(scale: list, cap: float) -> list[str]:
    """A least-squares line through the full-batch peaks that fit, evaluated at the sizes that did not."""
    fitted = sorted((r["num_nodes_target"], r["peak_rss_mb"]) for r in scale if r["mode"] == "full" and r.get("fits"))
    failed = sorted(r["num_nodes_target"] for r in scale if r["mode"] == "full" and r.get("fits") is False)
    if len(fitted) < 2 or not failed:
        return []
    sizes, peaks = zip(*fitted)
    slope, intercept = statistics.linear_regression(sizes, peaks)
    predicted = ", ".join(f"{n:,} nodes {(slope * n + intercept) / 1024:.1f} GiB" for n in failed)
    return [f"Full-batch peak RSS grows linearly with the graph ({slope * 1e6 / 1024:.2f} GiB per million nodes, "
            f"least squares over the {len(fitted)} sizes that fit); extrapolated to the sizes that did not fit in "
            f"{cap:g} GiB: {predicted}.", ""]


def _physical_gib() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


def summarize(records, tags) -> str:
    rows = [r for r in records if r.get("tag") in tags]
    lines = []
    scale = [r for r in rows if r["kind"] == "scaling"]
    if scale:
        cap = scale[0]["memory_cap_gib"]
        lines += ["## Scaling (community graphs, 128 features, average degree 10; DGI, 2-layer GCN, 512 units)", "",
                  f"Each cell is one fresh process with its address space capped at {cap:g} GiB "
                  f"(`resource.setrlimit(RLIMIT_AS)`; the machine has {_physical_gib():.0f} GiB of RAM in all, "
                  "shared with the other jobs running, so the cap stands in for \"fits in memory\"). Peak RSS "
                  "includes loading the graph; \"mini-batch over load\" is what training adds to it. Mini-batch: "
                  "1024 seeds, 10 + 10 sampled neighbours, seconds per epoch = mean time of the timed batches "
                  "(after one warm-up batch) x batches per epoch. Full batch: mean over the epochs run. Wall time "
                  "is inflated by the other jobs on the machine; CPU time (`time.process_time`, one thread) is "
                  "the cost on a quiet core.", "",
                  "| nodes | edges | graph load peak RSS (MiB) | mini-batch peak RSS (MiB) | mini-batch over load "
                  "(MiB) | mini-batch s/batch (wall; CPU) | mini-batch s/epoch, extrapolated (wall; CPU) "
                  "| sampled nodes/batch | full-batch peak RSS (MiB) | full-batch s/epoch (wall; CPU) |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for size in sorted({r["num_nodes_target"] for r in scale}):
            mini = next((r for r in scale if r["num_nodes_target"] == size and r["mode"] == "minibatch"), {})
            full = next((r for r in scale if r["num_nodes_target"] == size and r["mode"] == "full"), {})
            if full.get("fits"):
                full_cells = (f"{full['peak_rss_mb']:.0f} | {full['seconds_per_epoch']:.1f}; "
                              f"{full.get('cpu_seconds_per_epoch', float('nan')):.1f}")
            elif full.get("fits") is False:
                full_cells = f"does not fit in {cap:g} GiB ({full.get('error', '')[:80]}) | —"
            elif full.get("timed_out"):
                full_cells = f"not measured: over the {full['timeout_seconds']:.0f} s budget | —"
            else:
                full_cells = f"not run ({full.get('skipped', '')}) | —"
            if mini.get("timed_out"):
                mini_cells = f"— | over the {mini['timeout_seconds']:.0f} s budget | — | — | — | —"
            elif mini.get("fits"):
                mini_cells = (f"{mini['peak_rss_after_load_mb']:.0f} | {mini['peak_rss_mb']:.0f} | "
                              f"{mini['peak_rss_mb'] - mini['peak_rss_after_load_mb']:.0f} | "
                              f"{mini['seconds_per_batch']:.2f}; {mini.get('cpu_seconds_per_batch', float('nan')):.2f} "
                              f"({mini['timed_batches']} timed) | {mini['seconds_per_epoch']:.0f}; "
                              f"{mini.get('cpu_seconds_per_epoch', float('nan')):.0f} ({mini['batches_per_epoch']} batches) | "
                              f"{mini['sampled_nodes_per_batch']:.0f}")
            else:
                mini_cells = f"— | failed: {mini.get('error', '')} | — | — | — | —"
            edges = mini.get("num_edges", full.get("num_edges", 0))
            lines.append(f"| {size:,} | {edges:,} | {mini_cells} | {full_cells} |")
        lines.append("")
        lines += _full_batch_extrapolation(scale, cap)
    acc = [r for r in rows if r["kind"] == "accuracy"]
    if acc:
        lines += ["## Accuracy: mini-batch vs full-batch DGI (1 GCN layer, 512 units, public split, linear probe)",
                  "", "Full batch: DGI's early stopping (patience 20). Mini-batch: fixed epochs, no early stopping. "
                  "Mean ± std (population) over seeds of the mean test accuracy of 50 logistic regressions; the "
                  "difference is paired by seed (mini-batch minus full batch). Each mini-batch run is listed with "
                  "its git commit: runs before commit 'Mini-batch GCN normalizes with whole-graph degrees' "
                  "normalized the GCN on the sampled subgraph.", "",
                  "| dataset | mini-batch run (git) | setting | seeds | full batch (%) | mini-batch (%) "
                  "| paired difference (points) | full s/epoch (wall) | mini s/epoch (wall) |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for dataset in sorted({r["dataset"] for r in acc}):
            full = {r["seed"]: r for r in acc if r["dataset"] == dataset and r["mode"] == "full"}
            for run_tag in sorted({r["tag"] for r in acc if r["dataset"] == dataset and r["mode"] == "minibatch"}):
                mini = {r["seed"]: r for r in acc
                        if r["dataset"] == dataset and r["mode"] == "minibatch" and r["tag"] == run_tag}
                seeds = sorted(set(full) & set(mini))
                if not seeds:
                    continue
                f = [full[s]["accuracy"]["test_mean"] for s in seeds]
                m = [mini[s]["accuracy"]["test_mean"] for s in seeds]
                diff = [b - a for a, b in zip(f, m)]
                config = mini[seeds[0]]["config"]
                setting = (f"{config['batch_size']} seeds, neighbours {config['num_neighbors']}, "
                           f"{config['epochs_cap']} epochs")
                commit = str(mini[seeds[0]]["environment"]["git_commit"])[:7]
                lines.append(f"| {dataset} | `{run_tag}` ({commit}) | {setting} | {' '.join(map(str, seeds))} | "
                             f"{_mean_std(f)} | {_mean_std(m)} | {_mean_std(diff)} | "
                             f"{statistics.mean(full[s]['seconds_per_epoch'] for s in seeds):.3f} | "
                             f"{statistics.mean(mini[s]['seconds_per_epoch'] for s in seeds):.3f} |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        mode, path, timed, epochs = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
        print(json.dumps(measure_child(mode, path, timed, epochs)))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiments", nargs="+", default=["scaling", "accuracy"], choices=["scaling", "accuracy"])
    parser.add_argument("--sizes", nargs="+", type=int, default=list(SIZES))
    parser.add_argument("--memory-cap-gib", type=float, default=12.0)
    parser.add_argument("--timed-batches", type=int, default=5)
    parser.add_argument("--full-epochs", type=int, default=2)
    parser.add_argument("--full-max-nodes", type=int, default=2_000_000)
    parser.add_argument("--timeout", type=float, default=None, help="wall-clock budget per measurement (s)")
    parser.add_argument("--cache", default=os.environ.get("GRAPHCL_SCALING_CACHE", "datasets/scaling"),
                        help="folder for the generated graphs (default: datasets/scaling)")
    parser.add_argument("--datasets", nargs="+", default=["Cora", "CiteSeer"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--modes", nargs="+", default=["full", "minibatch"], choices=["full", "minibatch"],
                        help="accuracy: which training modes to run")
    parser.add_argument("--minibatch-size", type=int, default=256)
    parser.add_argument("--minibatch-neighbors", nargs="+", type=int, default=[10])
    parser.add_argument("--minibatch-epochs", type=int, default=20)
    parser.add_argument("--tag", default=None)
    parser.add_argument("--summarize", nargs="+", default=None, metavar="TAG",
                        help="only rewrite the Markdown table from the JSON lines of these runs")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    out = Path(args.out)
    jsonl = out / "node_scaling.jsonl"
    tag = args.tag or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    environment = environment_info()
    base = {"benchmark": "node_scaling", "tag": tag, "threads": torch.get_num_threads(),
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS"), "load_average": os.getloadavg(),
            "command": " ".join(sys.argv), "environment": environment}
    started = time.perf_counter()
    if args.summarize is None:
        if "scaling" in args.experiments:
            scaling(args, base, jsonl)
        if "accuracy" in args.experiments:
            accuracy(args, base, jsonl)
    tags = args.summarize or [tag]
    records = read_jsonl(jsonl)
    summary = summarize(records, tags)
    runs = []
    for run_tag in tags:
        first = next(r for r in records if r.get("tag") == run_tag)
        runs.append(f"`{run_tag}`: `{first['command']}` (git {first['environment']['git_commit']}, load average "
                    f"at the start {first['load_average'][0]:.1f})")
    header = (f"# Node-level DGI: scaling and mini-batch accuracy\n\nRuns: " + "; ".join(runs) + ". Machine: "
              f"{environment['machine']['cpu']} ({environment['machine']['cpu_count']} cores, shared with other "
              f"users' jobs, so times are inflated by contention), {torch.get_num_threads()} torch thread.\n\n")
    atomic_write_text(out / "node_scaling.md", header + summary)
    print(summary)


if __name__ == "__main__":
    main()
