"""Peak memory of node-level MVGRL with the sparse PPR diffusion: CiteSeer and a generated 100,000-node graph.

    python benchmarks/mvgrl_memory.py                      # both graphs, each in its own process
    python benchmarks/mvgrl_memory.py --graphs citeseer    # one

For each graph, in a fresh process: build the diffusion once (time, non-zeros), then train MVGRL for a few
(default 3) steps with the official sampling (4 blocks of 2,000 nodes per step) and compute the full-graph embeddings;
report the peak resident memory of the process (``ru_maxrss``) next to the size a dense N x N float32
diffusion would take. Writes ``benchmarks/results/mvgrl_memory.jsonl`` and ``.md``.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import torch

from graphcl.cli.node import prepare_node_data
from graphcl.data import sparse_sbm_graph
from graphcl.methods import build_mvgrl, train_full_batch
from graphcl.utils import append_jsonl, atomic_write_text, environment_info, markdown_table, read_jsonl

RESULTS = Path(__file__).resolve().parent / "results"
GRAPHS = {"citeseer": {"eps": 1e-4, "top_k": None}, "synthetic100k": {"eps": 1e-3, "top_k": 64}}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(graph: str, steps: int) -> dict:
    settings = GRAPHS[graph]
    if graph == "citeseer":
        data = prepare_node_data("CiteSeer")
    else:
        data = sparse_sbm_graph(100_000, num_classes=5, num_features=128, avg_degree=10, seed=0)
    rss_data = peak_rss_mb()
    torch.manual_seed(0)
    model = build_mvgrl(data.num_features, eps=settings["eps"], top_k=settings["top_k"],
                        generator=torch.Generator().manual_seed(0))
    start = time.perf_counter()
    _, _, diff_index, _ = model.views(data)
    diffusion_seconds = time.perf_counter() - start
    rss_diffusion = peak_rss_mb()
    start = time.perf_counter()
    result = train_full_batch(model, data, epochs=steps, patience=None, progress=False)
    train_seconds = time.perf_counter() - start
    embeddings = model.embed(data)
    n = data.num_nodes
    return {"graph": graph, "num_nodes": n, "num_edges": int(data.edge_index.size(1)),
            "num_features": data.num_features, **settings, "diffusion_nnz": int(diff_index.size(1)),
            "diffusion_nnz_per_node": diff_index.size(1) / n, "diffusion_seconds": diffusion_seconds,
            "dense_diffusion_gib": n * n * 4 / 2 ** 30, "train_steps": result.epochs,
            "seconds_per_step": train_seconds / max(result.epochs, 1), "embedding_shape": list(embeddings.shape),
            "peak_rss_mb_after_data": rss_data, "peak_rss_mb_after_diffusion": rss_diffusion,
            "peak_rss_mb": peak_rss_mb(), "sample_size": model.sample_size, "num_samples": model.num_samples,
            "hidden_channels": model.adjacency_encoder.out_channels, "threads": torch.get_num_threads()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--graphs", nargs="+", choices=list(GRAPHS), default=list(GRAPHS))
    parser.add_argument("--steps", type=int, default=3, help="training steps per graph")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.steps)))
        return
    out = Path(args.out)
    environment = environment_info()
    tag = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    for graph in args.graphs:
        child = subprocess.run([sys.executable, __file__, "--child", graph, "--steps", str(args.steps)],
                               capture_output=True, text=True, env=os.environ.copy())
        if child.returncode != 0:
            print(f"{graph}: failed (exit {child.returncode})\n{child.stderr[-3000:]}", flush=True)
            continue
        record = {"benchmark": "mvgrl_memory", "tag": tag, **json.loads(child.stdout.strip().splitlines()[-1]),
                  "environment": environment}
        append_jsonl(out / "mvgrl_memory.jsonl", record)
        print(f"{graph}: nnz {record['diffusion_nnz']} ({record['diffusion_nnz_per_node']:.1f}/node), "
              f"peak RSS {record['peak_rss_mb']:.0f} MiB, dense diffusion would be "
              f"{record['dense_diffusion_gib']:.2f} GiB", flush=True)
    records = [r for r in read_jsonl(out / "mvgrl_memory.jsonl") if r["tag"] == tag]
    table = markdown_table(
        ["Graph", "Nodes", "Edges", "eps / top-k", "Diffusion nnz (per node)", "Diffusion s",
         "Dense N×N float32", "Peak RSS MiB (after data / diffusion / training+embedding)", "s/step"],
        [[r["graph"], r["num_nodes"], r["num_edges"], f"{r['eps']:g} / {r['top_k']}",
          f"{r['diffusion_nnz']} ({r['diffusion_nnz_per_node']:.1f})", f"{r['diffusion_seconds']:.0f}",
          f"{r['dense_diffusion_gib']:.2f} GiB",
          f"{r['peak_rss_mb_after_data']:.0f} / {r['peak_rss_mb_after_diffusion']:.0f} / {r['peak_rss_mb']:.0f}",
          f"{r['seconds_per_step']:.2f}"] for r in records])
    header = (f"# MVGRL (node level): peak memory with the sparse diffusion\n\nRun `{tag}`: "
              f"`python benchmarks/mvgrl_memory.py --graphs {' '.join(args.graphs)} --steps {args.steps}`; git "
              f"{environment['git_commit']}; {environment['machine']['cpu']}, OMP_NUM_THREADS="
              f"{os.environ.get('OMP_NUM_THREADS')}. Each graph in its own process; MVGRL 2 x 1-layer GCN (512), "
              f"{args.steps} training steps of 4 sampled 2,000-node blocks, then full-graph embeddings. Peak RSS is "
              "the process's ru_maxrss (includes Python, PyTorch and the data). The synthetic graph: "
              "`sparse_sbm_graph(100_000, num_classes=5, num_features=128, avg_degree=10, seed=0)`.\n\n")
    atomic_write_text(out / "mvgrl_memory.md", header + table)
    print(table)


if __name__ == "__main__":
    main()
