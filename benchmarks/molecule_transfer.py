"""Transfer table: pretrain on ZINC250k (GraphCL, JOAO, JOAOv2), fine-tune on the MoleculeNet
classification tasks with the scaffold split, next to a no-pretraining baseline and the published rows.

The papers pretrain on ZINC-2M for 100 epochs; only ZINC250k is available here.

    python benchmarks/molecule_transfer.py --quick     # reduced budget for 2 CPU cores (see the table title)
    python benchmarks/molecule_transfer.py             # full protocol (GPU): 250k molecules, 100 + 100 epochs,
                                                       # 8 tasks, 10 seeds
"""
from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import torch

from graphcl.utils import (
    append_jsonl,
    atomic_write_text,
    environment_info,
    format_mean_std,
    markdown_table,
    mean_std,
    peak_memory_mb,
    read_jsonl,
)

RESULTS = Path(__file__).resolve().parent / "results"
TASKS = ("bbbp", "tox21", "toxcast", "sider", "clintox", "muv", "hiv", "bace")
# ROC-AUC % (REFERENCE.md); JOAO rows are unverified there
PUBLISHED = {
    "GraphCL (published, ZINC-2M)": dict(zip(TASKS, (69.7, 73.9, 62.4, 60.5, 76.0, 69.8, 78.5, 75.4))),
    "JOAO (published, ZINC-2M, unverified)": dict(zip(TASKS, (70.2, 75.0, 62.9, 60.0, 81.3, 71.7, 76.7, 77.3))),
    "JOAOv2 (published, ZINC-2M, unverified)": dict(zip(TASKS, (71.4, 74.3, 63.2, 60.5, 81.0, 73.7, 77.5, 75.5))),
}
QUICK = {"limit": 2000, "pretrain_epochs": 5, "finetune_epochs": 3, "seeds": [0],
         "tasks": ["bbbp", "bace"], "methods": ["none", "graphcl"]}


def pretrain_encoder(method_name: str, args, device) -> tuple[str, dict]:
    from graphcl.data import load_smiles_corpus
    from graphcl.nn import save_encoder
    from graphcl.train import pretrain
    from graphcl.train.molecules import build_molecule_method

    out = Path(args.work_dir) / f"{method_name}-{args.limit or 'all'}-{args.pretrain_epochs}ep" / "encoder.pt"
    if out.is_file() and not args.no_reuse:
        return str(out), {"reused": True}
    corpus = load_smiles_corpus("zinc250k", limit=args.limit)
    torch.manual_seed(args.pretrain_seed)
    method = build_molecule_method(method_name, generator=torch.Generator().manual_seed(args.pretrain_seed))
    result = pretrain(method, corpus, epochs=args.pretrain_epochs, lr=1e-3, batch_size=args.pretrain_batch_size,
                      device=device, checkpoint_dir=out.parent, progress=not args.no_progress,
                      seed=args.pretrain_seed)
    save_encoder(method.encoder, out, extra={"method": method_name, "history": result.history})
    info = {"reused": False, "molecules": len(corpus), "seconds_per_epoch": result.seconds_per_epoch,
            "losses": result.losses, "peak_memory_mb": peak_memory_mb(device)}
    append_jsonl(f"{args.out}.jsonl", {"kind": "pretrain", "method": method_name, **info, "config": vars(args),
                                       "environment": environment_info()})
    return str(out), info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", nargs="+", default=["none", "graphcl", "joao", "joaov2"])
    parser.add_argument("--tasks", nargs="+", default=list(TASKS))
    parser.add_argument("--limit", type=int, default=None, help="ZINC250k molecules used for pretraining")
    parser.add_argument("--pretrain-epochs", type=int, default=100)
    parser.add_argument("--pretrain-batch-size", type=int, default=256)
    parser.add_argument("--pretrain-seed", type=int, default=0)
    parser.add_argument("--finetune-epochs", type=int, default=100)
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    parser.add_argument("--device", default="auto")
    parser.add_argument("--quick", action="store_true",
                        help=f"reduced budget: {QUICK}")
    parser.add_argument("--work-dir", default="runs/molecule_transfer", help="pretrained encoders (not committed)")
    parser.add_argument("--no-reuse", action="store_true", help="pretrain again even if an encoder exists")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    if args.quick:
        args.limit, args.pretrain_epochs, args.finetune_epochs = QUICK["limit"], QUICK["pretrain_epochs"], \
            QUICK["finetune_epochs"]
        if args.seeds == list(range(10)):
            args.seeds = QUICK["seeds"]
        if args.tasks == list(TASKS):
            args.tasks = QUICK["tasks"]
        if args.methods == ["none", "graphcl", "joao", "joaov2"]:
            args.methods = QUICK["methods"]
    args.out = args.out or str(RESULTS / ("molecule_transfer_quick" if args.quick else "molecule_transfer"))

    from graphcl.data import load_moleculenet
    from graphcl.eval import evaluate_on_task, random_encoder_factory, task_split
    from graphcl.nn import MoleculeGINEncoder, load_encoder
    from graphcl.utils import resolve_device

    device = resolve_device(args.device)
    env = environment_info()
    encoders = {}
    for name in args.methods:
        if name == "none":
            encoders[name] = random_encoder_factory(MoleculeGINEncoder)
        else:
            path, _ = pretrain_encoder(name, args, device)
            encoders[name] = load_encoder(path)
    for task in args.tasks:
        dataset = load_moleculenet(task)
        split = task_split(dataset, "scaffold")
        for name, encoder in encoders.items():
            started = time.perf_counter()
            runs = evaluate_on_task(encoder, dataset, split, seeds=args.seeds, protocol="finetune",
                                    epochs=args.finetune_epochs, device=device, progress=not args.no_progress)
            for seed, run in zip(args.seeds, runs):
                append_jsonl(f"{args.out}.jsonl", {"kind": "finetune", "method": name, "task": task, "seed": seed,
                                                   **run.as_dict(), "quick": args.quick, "config": vars(args),
                                                   "peak_memory_mb": peak_memory_mb(device), "environment": env})
            print(f"{task} {name}: {format_mean_std([r.test for r in runs], scale=100)} "
                  f"({time.perf_counter() - started:.0f} s)")
        write_summary(args, env)


def write_summary(args, env) -> None:
    records = [r for r in read_jsonl(f"{args.out}.jsonl") if r.get("kind") == "finetune"
               and r["config"]["limit"] == args.limit and r["config"]["finetune_epochs"] == args.finetune_epochs]
    tasks = [t for t in TASKS if any(r["task"] == t for r in records)]
    names = {"none": "No pretraining", "graphcl": "GraphCL", "joao": "JOAO", "joaov2": "JOAOv2"}
    rows = []
    for method in [m for m in ("none", "graphcl", "joao", "joaov2") if any(r["method"] == m for r in records)]:
        cells, means = [], []
        for task in tasks:
            values = [r["test"] for r in records if r["method"] == method and r["task"] == task]
            cells.append(format_mean_std(values, scale=100, digits=1) if values else "–")
            if values:
                means.append(mean_std(values)[0] * 100)
        average = f"{sum(means) / len(means):.1f}" if len(means) == len(tasks) else "–"
        rows.append([f"{names[method]} (this run)", *cells, average])
    for label, numbers in PUBLISHED.items():
        values = [numbers[t] for t in tasks]
        rows.append([label, *[f"{v:.1f}" for v in values], f"{sum(values) / len(values):.1f}"])
    mode = ("REDUCED BUDGET (--quick): pretraining on the first {limit} ZINC250k molecules for {pe} epochs, "
            "fine-tuning {fe} epochs, seeds {seeds}, tasks {tasks} only ({dropped} dropped for time)"
            if args.quick else "full protocol: ZINC250k ({limit} molecules), {pe} pretraining epochs, {fe} "
            "fine-tuning epochs, seeds {seeds}").format(limit=args.limit or "all", pe=args.pretrain_epochs,
                                                       fe=args.finetune_epochs, seeds=args.seeds, tasks=tasks,
                                                       dropped="/".join(t for t in TASKS if t not in tasks))
    text = (f"# Transfer to MoleculeNet (scaffold split, test ROC-AUC % at best validation epoch)\n\n"
            f"{mode}. The papers pretrain on ZINC-2M for 100 epochs and fine-tune 100 epochs over 10 seeds; "
            f"published rows are averaged over the same task columns. Device {env['machine'].get('gpu') or 'cpu'}, "
            f"load average {env['machine'].get('load_average')}, commit {env['git_commit']}.\n\n"
            + markdown_table(["Method", *[t.upper() for t in tasks], "Avg"], rows))
    atomic_write_text(f"{args.out}.md", text)
    print(text)


if __name__ == "__main__":
    main()
