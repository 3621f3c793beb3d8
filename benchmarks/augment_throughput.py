"""Throughput of the batched augmentations against per-graph Python loops.

Batches of ZINC250k molecules (OGB featurization) go through node dropping, edge perturbation, subgraph
sampling and attribute masking twice in the same run: with ``graphcl.augment`` on the collated batch, and
with a per-graph loop written the way the official GraphCL code augments molecules (one graph at a time,
NumPy permutations, per-graph edge filtering with Python lists), followed by the collation the loop needs
to form a batch. Reports graphs per second and the speedup.

Then the per-graph random choice of GraphCL's modes (``random2``: node dropping or subgraph per graph;
``random4``: also edge perturbation and attribute masking, token mode for OGB features):
:func:`graphcl.augment.random_choice_per_graph` on the batch against the path graphcl used before
(``benchmarks/legacy_per_graph.py``: ``to_data_list``, one ``from_data_list`` per drawn augmentation, merge).

    PYTHONPATH=. python benchmarks/augment_throughput.py --seeds 0 1 2
    PYTHONPATH=. python benchmarks/augment_throughput.py --quick
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import torch
from torch_geometric.data import Batch, Data

from benchmarks.legacy_per_graph import loop_augment_per_graph
from graphcl.augment import (GRAPHCL_AUGMENTATION_MODES, MaskAttributes, build_augmentations, drop_nodes,
                             mask_attributes, perturb_edges, random_choice_per_graph, sample_subgraph)
from graphcl.utils import (append_jsonl, atomic_write_text, environment_info, format_mean_std, markdown_table,
                           mean_std, peak_memory_mb, seed_everything)

RESULTS = Path(__file__).resolve().parent / "results"


# ----------------------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------------------
def zinc_graphs(limit: int) -> list[Data]:
    """The first ``limit`` ZINC250k molecules, OGB-featurized by the data layer (cached)."""
    from graphcl.data import load_smiles_corpus

    dataset = load_smiles_corpus("zinc250k", limit=limit)
    return [dataset[i] for i in range(len(dataset))]


def ogb_mask_token() -> torch.Tensor:
    """One index past the last category of each OGB atom feature column."""
    from ogb.utils.features import get_atom_feature_dims

    return torch.tensor(get_atom_feature_dims(), dtype=torch.long)


# ----------------------------------------------------------------------------------------------------------
# Per-graph reference loops, in the style of the official GraphCL molecule code
# ----------------------------------------------------------------------------------------------------------
def _filter_edges(data: Data, keep_nodes: np.ndarray) -> Data:
    kept = set(keep_nodes.tolist())
    remap = {old: new for new, old in enumerate(sorted(kept))}
    edge_index = data.edge_index.numpy()
    edges, edge_mask = [], []
    for n in range(edge_index.shape[1]):
        a, b = int(edge_index[0, n]), int(edge_index[1, n])
        if a in kept and b in kept:
            edges.append([remap[a], remap[b]])
            edge_mask.append(n)
    out = Data(x=data.x[np.sort(keep_nodes)], edge_attr=data.edge_attr[edge_mask])
    out.edge_index = torch.tensor(edges, dtype=torch.long).t().reshape(2, -1)
    out.num_nodes = len(kept)
    return out


def loop_drop_nodes(data: Data, p: float) -> Data:
    node_num = data.x.size(0)
    drop_num = int(node_num * p)
    perm = np.random.permutation(node_num)
    return _filter_edges(data, perm[drop_num:])


def loop_subgraph(data: Data, p: float) -> Data:
    node_num = data.x.size(0)
    sub_num = node_num - int(node_num * p)
    edge_index = data.edge_index.numpy()
    seed = int(np.random.randint(node_num))
    chosen = [seed]
    frontier = set(int(n) for n in edge_index[1][edge_index[0] == seed])
    while len(chosen) < sub_num and frontier:
        node = int(np.random.choice(sorted(frontier)))
        chosen.append(node)
        frontier |= set(int(n) for n in edge_index[1][edge_index[0] == node])
        frontier -= set(chosen)
    return _filter_edges(data, np.array(chosen))


def loop_perturb_edges(data: Data, p: float) -> Data:
    node_num = data.x.size(0)
    edge_index = data.edge_index.numpy()
    edge_num = edge_index.shape[1]
    permute_num = int(edge_num * p)
    keep = np.random.choice(edge_num, edge_num - permute_num, replace=False)
    added = np.random.choice(node_num, (2, permute_num))
    source = np.random.choice(edge_num, permute_num) if edge_num else np.zeros(0, dtype=np.int64)
    out = Data(x=data.x)
    out.edge_index = torch.from_numpy(np.concatenate([edge_index[:, keep], added], 1)).long()
    out.edge_attr = torch.cat([data.edge_attr[keep], data.edge_attr[source]], 0)
    return out


def loop_mask_attributes(data: Data, p: float, token: torch.Tensor) -> Data:
    node_num = data.x.size(0)
    mask_num = int(node_num * p)
    idx = np.random.choice(node_num, mask_num, replace=False)
    x = data.x.clone()
    x[idx] = token
    return Data(x=x, edge_index=data.edge_index, edge_attr=data.edge_attr)


def operations(p: float, token: torch.Tensor, generator: torch.Generator) -> dict:
    return {
        "node dropping": (lambda b: drop_nodes(b, p, generator=generator), lambda d: loop_drop_nodes(d, p)),
        "edge perturbation": (lambda b: perturb_edges(b, p, generator=generator),
                              lambda d: loop_perturb_edges(d, p)),
        "subgraph": (lambda b: sample_subgraph(b, p, generator=generator), lambda d: loop_subgraph(d, p)),
        "attribute masking": (lambda b: mask_attributes(b, p, mode="token", mask_value=token, generator=generator),
                              lambda d: loop_mask_attributes(d, p, token)),
    }


CHOICE_MODES = ("random2", "random4")


def choice_transforms(mode: str, p: float, token: torch.Tensor, generator: torch.Generator) -> list:
    """The named augmentations of a GraphCL mode; attribute masking writes OGB's mask token."""
    names = GRAPHCL_AUGMENTATION_MODES[mode]
    built = build_augmentations(names, p, generator=generator)
    return [MaskAttributes(p, mode="token", mask_value=token, generator=generator) if name == "attr_mask" else t
            for name, t in zip(names, built)]


def time_calls(fn, items, repeats: int) -> tuple[float, float]:
    """Wall-clock and process CPU seconds for ``repeats`` passes (CPU time is less sensitive to other
    processes sharing the machine)."""
    fn(items[0])  # warm-up
    start, start_cpu = time.perf_counter(), time.process_time()
    for _ in range(repeats):
        for item in items:
            fn(item)
    return time.perf_counter() - start, time.process_time() - start_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--num-batches", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3, help="passes over the batches per measurement")
    parser.add_argument("--p", type=float, default=0.2)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 = fair single-core comparison)")
    parser.add_argument("--device", default="cpu", help="device for the batched version ('auto' picks a GPU)")
    parser.add_argument("--quick", action="store_true", help="2 batches of 64, one seed, one pass")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.quick:
        args.batch_size, args.num_batches, args.repeats, args.seeds = 64, 2, 1, args.seeds[:1]
    torch.set_num_threads(args.threads)
    from graphcl.utils import resolve_device

    device = resolve_device(args.device)

    graphs = zinc_graphs(args.batch_size * args.num_batches)
    chunks = [graphs[i:i + args.batch_size] for i in range(0, len(graphs), args.batch_size)]
    batches = [Batch.from_data_list(chunk).to(device) for chunk in chunks]
    token = ogb_mask_token().to(device)
    num_graphs = len(graphs) * args.repeats
    per_op: dict[str, dict[str, list[float]]] = {}
    for seed in args.seeds:
        seed_everything(seed)
        generator = torch.Generator(device=device).manual_seed(seed)
        for name, (batched, looped) in operations(args.p, token, generator).items():
            sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

            def run_batched(batch):
                out = batched(batch)
                sync()
                return out

            seconds_batched, cpu_batched = time_calls(run_batched, batches, args.repeats)
            seconds_loop, cpu_loop = time_calls(lambda chunk: [looped(d) for d in chunk], chunks, args.repeats)
            seconds_loop_collate, cpu_loop_collate = time_calls(
                lambda chunk: Batch.from_data_list([looped(d) for d in chunk]), chunks, args.repeats)
            entry = per_op.setdefault(name, {key: [] for key in ("batched", "loop", "loop_collate", "cpu_batched",
                                                                  "cpu_loop", "cpu_loop_collate")})
            entry["batched"].append(num_graphs / seconds_batched)
            entry["loop"].append(num_graphs / seconds_loop)
            entry["loop_collate"].append(num_graphs / seconds_loop_collate)
            entry["cpu_batched"].append(num_graphs / cpu_batched)
            entry["cpu_loop"].append(num_graphs / cpu_loop)
            entry["cpu_loop_collate"].append(num_graphs / cpu_loop_collate)
            record = {
                "benchmark": "augment_throughput", "operation": name, "seed": seed, "p": args.p,
                "batch_size": args.batch_size, "num_batches": args.num_batches, "repeats": args.repeats,
                "device": str(device), "threads": args.threads, "quick": args.quick,
                "graphs_per_s_batched": num_graphs / seconds_batched,
                "graphs_per_s_loop": num_graphs / seconds_loop,
                "graphs_per_s_loop_with_collate": num_graphs / seconds_loop_collate,
                "speedup_vs_loop": seconds_loop / seconds_batched,
                "speedup_vs_loop_with_collate": seconds_loop_collate / seconds_batched,
                "graphs_per_cpu_s_batched": num_graphs / cpu_batched,
                "graphs_per_cpu_s_loop": num_graphs / cpu_loop,
                "graphs_per_cpu_s_loop_with_collate": num_graphs / cpu_loop_collate,
                "cpu_speedup_vs_loop": cpu_loop / cpu_batched,
                "cpu_speedup_vs_loop_with_collate": cpu_loop_collate / cpu_batched,
                "seconds_batched": seconds_batched, "seconds_loop": seconds_loop,
                "load_average": os.getloadavg(),
                "peak_memory_mb": peak_memory_mb(device), "environment": environment_info(),
            }
            append_jsonl(args.results / ("augment_throughput_quick.jsonl" if args.quick else
                                         "augment_throughput.jsonl"), record)
            print(f"seed {seed} {name:18s} batched {record['graphs_per_s_batched']:10.0f} g/s | loop "
                  f"{record['graphs_per_s_loop']:8.0f} g/s | loop+collate {record['graphs_per_s_loop_with_collate']:8.0f}"
                  f" g/s | speedup {record['speedup_vs_loop']:.1f}x / {record['speedup_vs_loop_with_collate']:.1f}x")

    per_choice: dict[str, dict[str, list[float]]] = {}
    for seed in args.seeds:
        generator = torch.Generator(device=device).manual_seed(seed)
        draws = torch.Generator().manual_seed(seed)
        for mode in CHOICE_MODES:
            transforms = choice_transforms(mode, args.p, token, generator)
            seconds_new, cpu_new = time_calls(lambda b: random_choice_per_graph(b, transforms, generator=draws),
                                              batches, args.repeats)
            seconds_old, cpu_old = time_calls(lambda b: loop_augment_per_graph(b, transforms, draws), batches,
                                              args.repeats)
            entry = per_choice.setdefault(mode, {key: [] for key in ("new", "old", "cpu_new", "cpu_old")})
            for key, value in (("new", seconds_new), ("old", seconds_old), ("cpu_new", cpu_new),
                               ("cpu_old", cpu_old)):
                entry[key].append(num_graphs / value)
            record = {
                "benchmark": "augment_throughput", "operation": f"per-graph choice ({mode})", "seed": seed,
                "p": args.p, "batch_size": args.batch_size, "num_batches": args.num_batches, "repeats": args.repeats,
                "device": str(device), "threads": args.threads, "quick": args.quick,
                "graphs_per_s_vectorized": num_graphs / seconds_new, "graphs_per_s_before": num_graphs / seconds_old,
                "speedup_vs_before": seconds_old / seconds_new,
                "graphs_per_cpu_s_vectorized": num_graphs / cpu_new, "graphs_per_cpu_s_before": num_graphs / cpu_old,
                "cpu_speedup_vs_before": cpu_old / cpu_new,
                "load_average": os.getloadavg(), "peak_memory_mb": peak_memory_mb(device),
                "environment": environment_info(),
            }
            append_jsonl(args.results / ("augment_throughput_quick.jsonl" if args.quick else
                                         "augment_throughput.jsonl"), record)
            print(f"seed {seed} per-graph choice {mode}: vectorized {record['graphs_per_s_vectorized']:9.0f} g/s | "
                  f"before {record['graphs_per_s_before']:8.0f} g/s | speedup {record['speedup_vs_before']:.1f}x")

    rows, cpu_rows = [], []
    for name, entry in per_op.items():
        for table, prefix in ((rows, ""), (cpu_rows, "cpu_")):
            batched, loop, collate = entry[prefix + "batched"], entry[prefix + "loop"], entry[prefix + "loop_collate"]
            speed = mean_std([b / l for b, l in zip(batched, loop)])[0]
            speed_collate = mean_std([b / l for b, l in zip(batched, collate)])[0]
            table.append([name, format_mean_std(batched, digits=0), format_mean_std(loop, digits=0),
                          format_mean_std(collate, digits=0), f"{speed:.1f}x", f"{speed_collate:.1f}x"])
    env = environment_info()
    header = ["operation", "batched", "per-graph loop", "loop + collate", "speedup vs loop",
              "speedup vs loop + collate"]
    summary = (
        f"# Augmentation throughput (graphs/s), ZINC250k, batches of {args.batch_size}, p = {args.p}\n\n"
        f"Device {device}, {args.threads} torch thread(s), seeds {args.seeds}, {args.num_batches} batches × "
        f"{args.repeats} passes, load average at the end {env['machine'].get('load_average')}, commit "
        f"{env['git_commit']}.{' QUICK MODE.' if args.quick else ''}\n\n"
        "Batched: graphcl.augment on the collated batch. Loop: the same operation one graph at a time, as the "
        "official GraphCL molecule code does (NumPy permutations, per-graph edge filtering); loop+collate adds "
        "the Batch.from_data_list the loop needs to form a batch. Mean ± std over seeds.\n\n"
        "## Wall clock\n\n" + markdown_table(header, rows) +
        "\n## Process CPU time (less sensitive to other jobs on a shared machine)\n\n"
        + markdown_table(header, cpu_rows)
    )
    choice_rows = []
    for mode, entry in per_choice.items():
        choice_rows.append([mode, format_mean_std(entry["new"], digits=0), format_mean_std(entry["old"], digits=0),
                            f"{mean_std([n / o for n, o in zip(entry['new'], entry['old'])])[0]:.1f}x",
                            format_mean_std(entry["cpu_new"], digits=0), format_mean_std(entry["cpu_old"], digits=0),
                            f"{mean_std([n / o for n, o in zip(entry['cpu_new'], entry['cpu_old'])])[0]:.1f}x"])
    summary += (
        "\n## Per-graph random choice (GraphCL modes), graphs/s\n\n"
        "Each graph draws one augmentation of the mode. Vectorized: graphcl.augment.random_choice_per_graph on the "
        "batch. Before: the path graphcl used until then (benchmarks/legacy_per_graph.py: to_data_list, one "
        "from_data_list per drawn augmentation, augment, merge back into graph order).\n\n"
        + markdown_table(["mode", "vectorized (wall)", "before (wall)", "speedup (wall)", "vectorized (CPU)",
                          "before (CPU)", "speedup (CPU)"], choice_rows)
    )
    name = "augment_throughput_quick.md" if args.quick else "augment_throughput.md"
    atomic_write_text(args.results / name, summary)
    print(summary)


if __name__ == "__main__":
    main()
