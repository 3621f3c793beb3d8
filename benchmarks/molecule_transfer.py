"""Transfer table: pretrain on ZINC250k (GraphCL, JOAO, JOAOv2), fine-tune on the MoleculeNet
classification tasks with the scaffold split, next to a no-pretraining baseline and the published rows.

The papers pretrain on ZINC-2M for 100 epochs; only ZINC250k is available here.

    python benchmarks/molecule_transfer.py --quick     # reduced budget for 2 CPU cores (see the table title)
    python benchmarks/molecule_transfer.py             # full protocol (GPU): 250k molecules, 100 + 100 epochs,
                                                       # 8 tasks, 10 seeds
    python benchmarks/molecule_transfer.py --featurizer hu2020 --chem-subgraph   # the papers' 2+2 features and
                                                       # GIN, and the official 20 % chemistry subgraph
"""
from __future__ import annotations

import argparse
import os
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
# The no-pretraining row of Hu et al. (2020), which the GraphCL and JOAO tables repeat (hu2020 features, GIN
# 5 x 300, 100 fine-tuning epochs, 10 seeds); not in REFERENCE.md, hence unverified.
PUBLISHED_NO_PRETRAINING = {
    "No pretraining (published, Hu et al. 2020, unverified)":
        dict(zip(TASKS, (65.8, 74.0, 63.4, 57.3, 58.0, 71.8, 75.3, 70.1))),
}
QUICK = {"limit": 2000, "pretrain_epochs": 5, "finetune_epochs": 3, "seeds": [0],
         "tasks": ["bbbp", "bace"], "methods": ["none", "graphcl"]}


def pretrain_directory(method_name: str, args) -> Path:
    """Where one pretraining run lives: its resumable ``last.pt`` and one encoder file per epoch count.

    Every setting that changes the weights is in the name, so a rerun with more epochs resumes from
    ``last.pt`` and a run with other settings never reuses a stale encoder."""
    return Path(args.work_dir) / (f"{method_name}-zinc{args.limit or 'all'}-bs{args.pretrain_batch_size}"
                                  f"-seed{args.pretrain_seed}{feature_suffix(args)}")


def feature_suffix(args) -> str:
    """Name part for the non-default featurization settings (empty for OGB features, the default)."""
    return (f"-{args.featurizer}" if args.featurizer != "ogb" else "") + ("-chemsub" if args.chem_subgraph else "")


def pretrain_encoder(method_name: str, args, device) -> tuple[str, dict]:
    from graphcl.data import load_smiles_corpus
    from graphcl.nn import save_encoder
    from graphcl.train import pretrain
    from graphcl.train.molecules import build_molecule_method
    from graphcl.utils import load_checkpoint

    directory = pretrain_directory(method_name, args)
    out = directory / f"encoder-{args.pretrain_epochs}ep.pt"
    if out.is_file() and not args.no_reuse:
        return str(out), {"reused": True}
    last = directory / "last.pt"
    if last.is_file() and not args.no_reuse:
        done = int(load_checkpoint(last)["epoch"])
        if done > args.pretrain_epochs:
            raise ValueError(f"{last} already holds {done} epochs, more than --pretrain-epochs "
                             f"{args.pretrain_epochs}; use another --work-dir or --no-reuse")
    corpus = load_smiles_corpus("zinc250k", limit=args.limit, featurizer=args.featurizer)
    torch.manual_seed(args.pretrain_seed)
    method = build_molecule_method(method_name, generator=torch.Generator().manual_seed(args.pretrain_seed),
                                   featurizer=args.featurizer,
                                   chem_subgraph=args.chem_subgraph and method_name == "graphcl")
    started = time.process_time()
    result = pretrain(method, corpus, epochs=args.pretrain_epochs, lr=1e-3, batch_size=args.pretrain_batch_size,
                      device=device, checkpoint_dir=directory, resume=not args.no_reuse,
                      progress=not args.no_progress, seed=args.pretrain_seed)
    save_encoder(method.encoder, out, extra={"method": method_name, "history": result.history})
    info = {"reused": False, "molecules": len(corpus), "seconds_per_epoch": result.seconds_per_epoch,
            "resumed_from_epoch": result.resumed_from_epoch, "cpu_seconds": time.process_time() - started,
            "losses": result.losses, "peak_memory_mb": peak_memory_mb(device)}
    append_jsonl(f"{args.out}.jsonl", {"kind": "pretrain", "method": method_name, **info, "config": vars(args),
                                       "environment": environment_info()})
    print(f"pretrained {method_name}: losses {[round(x, 3) for x in result.losses]}")
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
    parser.add_argument("--max-train-molecules", type=int, default=None,
                        help="reduced budget: fine-tune on at most this many training molecules per task")
    parser.add_argument("--max-valid-molecules", type=int, default=None,
                        help="reduced budget: select the epoch on at most this many validation molecules per task "
                             "(all molecules with a positive label kept); test sets are never reduced")
    parser.add_argument("--cap-seed", type=int, default=0, help="seed of the capped subsets")
    parser.add_argument("--featurizer", choices=["ogb", "hu2020"], default="ogb",
                        help="molecule features and matching GIN: OGB's 9+3, or Hu et al. 2020's 2+2 (the papers')")
    parser.add_argument("--chem-subgraph", action="store_true",
                        help="GraphCL's official chemistry subgraph (keeps 20 %% of the atoms)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--quick", action="store_true",
                        help=f"reduced budget: {QUICK}")
    parser.add_argument("--work-dir", default="runs/molecule_transfer", help="pretrained encoders (not committed)")
    parser.add_argument("--pretrain-only", action="store_true", help="stop after pretraining")
    parser.add_argument("--summary-only", action="store_true",
                        help="rewrite the Markdown table from the JSON lines of these settings and stop")
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
    from graphcl.eval import cap_split, dataset_labels, evaluate_on_task, random_encoder_factory, task_split
    from graphcl.nn import MoleculeGINEncoder, load_encoder
    from graphcl.utils import resolve_device

    if args.summary_only:
        write_summary(args, environment_info())
        return
    device = resolve_device(args.device)
    env = environment_info()
    encoders = {}
    for name in args.methods:
        if name == "none":
            encoders[name] = random_encoder_factory(MoleculeGINEncoder, featurizer=args.featurizer)
        else:
            path, _ = pretrain_encoder(name, args, device)
            encoders[name] = load_encoder(path)
    if args.pretrain_only:
        return
    tasks = {}
    for seed in args.seeds:  # seed outermost: an interrupted run still leaves whole rows for the seeds done
        for task in args.tasks:
            if task not in tasks:
                dataset = load_moleculenet(task, featurizer=args.featurizer)
                split = cap_split(task_split(dataset, "scaffold"), dataset_labels(dataset),
                                  max_train=args.max_train_molecules, max_valid=args.max_valid_molecules,
                                  seed=args.cap_seed)
                tasks[task] = (dataset, split)
            dataset, split = tasks[task]
            for name, encoder in encoders.items():
                started, cpu_started = time.perf_counter(), time.process_time()
                run = evaluate_on_task(encoder, dataset, split, seeds=[seed], protocol="finetune",
                                       epochs=args.finetune_epochs, device=device,
                                       progress=not args.no_progress)[0]
                record = {"kind": "finetune", "run_key": run_key(args), "method": name, "task": task, "seed": seed,
                          **run.as_dict(), "valid_size": len(split["valid"]), "test_size": len(split["test"]),
                          "history": run.history, "seconds": time.perf_counter() - started,
                          "cpu_seconds": time.process_time() - cpu_started, "load_average": list(os.getloadavg()),
                          "quick": args.quick,
                          "config": vars(args), "peak_memory_mb": peak_memory_mb(device), "environment": env}
                append_jsonl(f"{args.out}.jsonl", record)
                print(f"seed {seed} {task} {name}: test {100 * run.test:.1f} valid {100 * run.valid:.1f} "
                      f"(best epoch {run.best_epoch}, {record['seconds']:.0f} s)", flush=True)
            write_summary(args, environment_info())


def run_key(args) -> str:
    """Settings that make runs comparable: records with the same key are summarised together."""
    return (f"zinc{args.limit or 'all'}-pe{args.pretrain_epochs}-pbs{args.pretrain_batch_size}-ps{args.pretrain_seed}"
            f"-fe{args.finetune_epochs}-train{args.max_train_molecules or 'all'}"
            f"-valid{args.max_valid_molecules or 'all'}-cap{args.cap_seed}{feature_suffix(args)}")


def describe_budget(args, tasks, records) -> str:
    full = (args.limit is None and args.pretrain_epochs >= 100 and args.finetune_epochs >= 100
            and args.max_train_molecules is None and args.max_valid_molecules is None and len(tasks) == len(TASKS))
    train_sizes = {t: max(r["train_size"] for r in records if r["task"] == t) for t in tasks}
    valid_sizes = {t: max(r.get("valid_size", 0) for r in records if r["task"] == t) for t in tasks}
    seeds = sorted({r["seed"] for r in records})
    features = ("Hu et al. 2020 features (2 atom + 2 bond) and their GIN" if args.featurizer == "hu2020"
                else "OGB features (9 atom + 3 bond)")
    subgraph = "; GraphCL's chemistry subgraph keeps 20 % of the atoms" if args.chem_subgraph else ""
    text = (f"{features}{subgraph}; "
            f"pretraining on {'all' if args.limit is None else f'the first {args.limit}'} ZINC250k molecules for "
            f"{args.pretrain_epochs} epochs (batch {args.pretrain_batch_size}), fine-tuning {args.finetune_epochs} "
            f"epochs, seeds {seeds}")
    if full:
        return "Full protocol: " + text
    capped = []
    if args.max_train_molecules:
        capped.append(f"training molecules capped at {args.max_train_molecules} (random subset, the same for "
                      f"every method and seed): " + ", ".join(f"{t} {train_sizes[t]}" for t in tasks))
    if args.max_valid_molecules:
        capped.append(f"validation molecules capped at {args.max_valid_molecules} (molecules with a positive "
                      f"label first, at most half the cap, the rest drawn at random; model selection only): "
                      + ", ".join(f"{t} {valid_sizes[t]}" for t in tasks))
    dropped = [t for t in TASKS if t not in tasks]
    if dropped:
        capped.append(f"tasks {'/'.join(dropped)} not run")
    label = "REDUCED BUDGET (--quick)" if args.quick else "REDUCED BUDGET"
    return f"{label}: {text}; " + "; ".join(capped) + ". Test sets are never reduced"


def write_summary(args, env) -> None:
    key = run_key(args)
    records = [r for r in read_jsonl(f"{args.out}.jsonl") if r.get("kind") == "finetune" and r.get("run_key") == key]
    tasks = [t for t in TASKS if any(r["task"] == t for r in records)]
    names = {"none": "No pretraining", "graphcl": "GraphCL", "joao": "JOAO", "joaov2": "JOAOv2"}
    methods = [m for m in ("none", "graphcl", "joao", "joaov2") if any(r["method"] == m for r in records)]
    # only seeds every method finished on every task enter the table, so rows compare like with like
    complete = sorted(s for s in {r["seed"] for r in records}
                      if all(any(r["seed"] == s and r["method"] == m and r["task"] == t for r in records)
                             for m in methods for t in tasks))
    records = [r for r in records if r["seed"] in complete]
    if not records:
        return
    rows = []
    for method in methods:
        cells, means = [], []
        for task in tasks:
            values = [r["test"] for r in records if r["method"] == method and r["task"] == task]
            cells.append(format_mean_std(values, scale=100, digits=1) if values else "–")
            if values:
                means.append(mean_std(values)[0] * 100)
        average = f"{sum(means) / len(means):.1f}" if len(means) == len(tasks) else "–"
        rows.append([f"{names[method]} (this run)", *cells, average])
    for label, numbers in {**PUBLISHED_NO_PRETRAINING, **PUBLISHED}.items():
        values = [numbers[t] for t in tasks]
        rows.append([label, *[f"{v:.1f}" for v in values], f"{sum(values) / len(values):.1f}"])
    seconds = sum(r.get("cpu_seconds", 0.0) for r in records)
    pretrained = [r for r in read_jsonl(f"{args.out}.jsonl") if r.get("kind") == "pretrain" and not r.get("reused")
                  and all(r["config"].get(k) == getattr(args, k) for k in
                          ("limit", "pretrain_epochs", "pretrain_batch_size", "pretrain_seed"))
                  and r["config"].get("featurizer", "ogb") == args.featurizer
                  and bool(r["config"].get("chem_subgraph")) == args.chem_subgraph]
    pretraining = "".join(
        f" Pretraining {r['method']}: {r['molecules']} molecules, {r['seconds_per_epoch']:.0f} s per epoch (wall), "
        f"loss per epoch {', '.join(f'{x:.3f}' for x in r['losses'])}." for r in pretrained)
    loads = [r.get("load_average") or r["environment"]["machine"].get("load_average") for r in records]
    text = (f"# Transfer to MoleculeNet (scaffold split, test ROC-AUC % at best validation epoch)\n\n"
            f"{describe_budget(args, tasks, records)}. The papers pretrain on ZINC-2M for 100 epochs and fine-tune "
            f"100 epochs over 10 seeds; published rows are averaged over the same task columns. Mean ± std over "
            f"seeds {complete}; Avg = mean over the task columns. Fine-tuning: dropout 0.5, Adam lr 1e-3, batch 32, linear head, the same split, "
            f"seeds and caps for both rows. Fine-tuning CPU time {seconds / 60:.1f} min on device "
            f"{env['machine'].get('gpu') or 'cpu'}; load average at the first and last record {loads[0]} / "
            f"{loads[-1]}; commit {env['git_commit']}.{pretraining}\n\n"
            + markdown_table(["Method", *[t.upper() for t in tasks], "Avg"], rows))
    atomic_write_text(f"{args.out}.md", text)
    print(text)


if __name__ == "__main__":
    main()
