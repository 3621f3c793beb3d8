"""CG3 (Wan et al., AAAI 2021) on Planetoid: public split, low label rates and a loss ablation.

Every run appends one JSON line to ``benchmarks/results/cg3.jsonl`` (config, environment, per-seed
accuracies, seconds per epoch, peak memory); the Markdown summary ``cg3.md`` is rebuilt from all lines
(the newest record per experiment/dataset/variant/seed counts).

    PYTHONPATH=$PWD python benchmarks/cg3.py --datasets Cora CiteSeer --seeds 0 1 2 3 4
    PYTHONPATH=$PWD python benchmarks/cg3.py --quick          # a small smoke run
    PYTHONPATH=$PWD python benchmarks/cg3.py --datasets Cora --experiments sweep --epochs 400

The ``sweep`` experiment changes one hyperparameter at a time around the official values and reports
validation accuracy next to test accuracy, so that a setting can be chosen on validation alone.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path


from graphcl.data import DatasetNotFoundError, load_planetoid
from graphcl.methods.cg3 import CG3, LOSS_TERMS, label_rate_split, train_cg3, with_split
from graphcl.utils import (append_jsonl, environment_info, format_mean_std, make_generator, markdown_table,
                           mean_std, peak_memory_mb, read_jsonl, seed_everything)
from graphcl.utils.io import atomic_write_text

RESULTS = Path(__file__).resolve().parent / "results"
# REFERENCE.md, CG3 section (unverified): the public-split accuracies; the low-label-rate tables exist in
# the paper but their values are not listed there.
PUBLISHED = {"Cora": 83.4, "CiteSeer": 73.6, "PubMed": 80.2}
# hyperparameters the sweep may change, with their type; "defaults" is the unchanged configuration
SWEEPABLE = {"lr": float, "weight_decay": float, "dropout": float, "hidden_channels": int}
DEFAULT_SWEEP = ("defaults", "weight_decay=0.01", "weight_decay=0.0005", "dropout=0.8", "hidden_channels=256",
                 "lr=0.005")


def _parse_change(change: str, parser: argparse.ArgumentParser | None = None) -> dict:
    """``"name=value"`` -> ``{name: value}``; ``"defaults"`` -> ``{}``."""
    if change == "defaults":
        return {}
    name, _, value = change.partition("=")
    if name not in SWEEPABLE or not value:
        message = f"--sweep entries are 'defaults' or NAME=VALUE with NAME in {sorted(SWEEPABLE)}, got {change!r}"
        if parser is not None:
            parser.error(message)
        raise ValueError(message)
    try:
        return {name: SWEEPABLE[name](value)}
    except ValueError:
        message = f"--sweep {change!r}: {value!r} is not a valid {SWEEPABLE[name].__name__}"
        if parser is not None:
            parser.error(message)
        raise


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=["Cora", "CiteSeer", "PubMed"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--experiments", nargs="+", default=["public", "label_rate", "ablation"],
                        choices=["public", "label_rate", "ablation", "sweep"])
    parser.add_argument("--label-rates", nargs="+", type=float, default=[0.005, 0.01, 0.02, 0.03, 0.04])
    parser.add_argument("--label-rate-seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--ablation-seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--ablation-variants", nargs="+", default=None,
                        help="subset of: full no_unsupervised no_supervised no_generative no_classification")
    parser.add_argument("--sweep", nargs="+", default=list(DEFAULT_SWEEP), metavar="NAME=VALUE",
                        help=f"one-at-a-time changes for the sweep experiment, NAME in {sorted(SWEEPABLE)}")
    parser.add_argument("--sweep-seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--patience", type=int, default=None,
                        help="early stopping on validation accuracy (default: none, all epochs as official)")
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--weight-decay", type=float, default=0.1)
    parser.add_argument("--hidden-channels", type=int, default=1024)
    parser.add_argument("--dropout", type=float, default=0.6)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--quick", action="store_true", help="Cora only, 1 seed, 30 epochs, one rate")
    parser.add_argument("--results", default=str(RESULTS / "cg3.jsonl"))
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--merge", nargs="+", default=None, metavar="JSONL",
                        help="run nothing: append these JSON-lines files (from runs in parallel processes, "
                             "each with its own --results) to --results and rebuild the summary")
    args = parser.parse_args(argv)
    for change in args.sweep:
        _parse_change(change, parser)
    if args.quick:
        args.datasets, args.seeds, args.epochs = ["Cora"], args.seeds[:1], 30
        args.label_rates, args.label_rate_seeds, args.ablation_seeds = [0.01], args.seeds[:1], args.seeds[:1]
        args.sweep, args.sweep_seeds = args.sweep[:2], args.seeds[:1]
        args.results = str(Path(args.results).with_name("cg3_quick.jsonl"))
    return args


def run_one(args, data, experiment: str, dataset: str, seed: int, variant: str = "full",
            label_rate: float | None = None) -> dict:
    # a sweep variant overrides one hyperparameter of the run
    hyper = {name: getattr(args, name) for name in SWEEPABLE}
    if experiment == "sweep":
        hyper.update(_parse_change(variant))
    if label_rate is not None:
        split = label_rate_split(data.y, label_rate, generator=make_generator(seed))
        data = with_split(data, split)
    seed_everything(seed)
    weights = {f"{name}_weight": 0.0 for name in LOSS_TERMS if variant == f"no_{name}"}
    model = CG3(data.num_features, int(data.y.max()) + 1, hidden_channels=hyper["hidden_channels"],
                p=hyper["dropout"], **weights)
    load_at_start = list(os.getloadavg())
    started, cpu_started = time.perf_counter(), time.process_time()
    result = train_cg3(model, data, epochs=args.epochs, lr=hyper["lr"], weight_decay=hyper["weight_decay"],
                       patience=args.patience, device=args.device, progress=not args.no_progress)
    record = {
        "experiment": experiment, "dataset": dataset, "variant": variant, "seed": seed,
        "label_rate": label_rate, "num_train": int(data.train_mask.sum()),
        "config": {"epochs": args.epochs, "patience": args.patience, **hyper, "model": repr(model),
                   "quick": args.quick},
        "test_accuracy": result.test_accuracy, "valid_accuracy": result.valid_accuracy,
        "train_accuracy": result.train_accuracy, "best_epoch": result.best_epoch,
        "epochs_run": result.epochs_run, "seconds_per_epoch": result.seconds_per_epoch,
        "seconds_total": time.perf_counter() - started,
        # CPU seconds of this process per epoch: comparable across load levels, unlike wall time
        "cpu_seconds_per_epoch": (time.process_time() - cpu_started) / max(result.epochs_run, 1),
        "load_average_at_start": load_at_start,
        "peak_memory_mb": peak_memory_mb(args.device if args.device != "auto" else None),
        "environment": environment_info(),
        # validation accuracy and loss every 10 epochs, to show where the model was picked
        "curve": [{k: round(h[k], 4) for k in ("epoch", "loss", "valid_accuracy")}
                  for h in result.history if h["epoch"] % 10 == 0 or h["epoch"] == result.best_epoch],
    }
    append_jsonl(args.results, record)
    print(f"{experiment:10s} {dataset:8s} {variant:20s} rate={label_rate} seed={seed}: "
          f"test {100 * result.test_accuracy:.2f} (valid {100 * result.valid_accuracy:.2f} at epoch "
          f"{result.best_epoch}/{result.epochs_run}, {result.seconds_per_epoch:.3f} s/epoch)", flush=True)
    return record


def _latest(records: list[dict]) -> dict[tuple, dict]:
    latest = {}
    for record in records:
        key = (record["experiment"], record["dataset"], record.get("variant", "full"), record.get("label_rate"),
               record["seed"])
        latest[key] = record
    return latest


def summarize(path: str | Path) -> str:
    latest = _latest(read_jsonl(path))
    groups: dict[tuple, list[dict]] = {}
    for (experiment, dataset, variant, rate, _), record in sorted(latest.items(), key=lambda kv: str(kv[0])):
        groups.setdefault((experiment, dataset, variant, rate), []).append(record)

    def accuracy(records):
        return format_mean_std([r["test_accuracy"] for r in records], scale=100)

    def config(records):
        budgets = {f"{r['config']['epochs']} ep" + (f", patience {r['config']['patience']}"
                                                    if r["config"].get("patience") else "") for r in records}
        return " / ".join(sorted(budgets))

    def paired_delta(records, reference):
        """Mean ± std over seeds of (test accuracy - the reference run's, same seed and budget), and how
        many seeds went down / up: differences between seeds are larger than between variants."""
        by_seed = {(r["seed"], r["config"]["epochs"]): r["test_accuracy"] for r in reference}
        deltas = [100 * (r["test_accuracy"] - by_seed[(r["seed"], r["config"]["epochs"])]) for r in records
                  if (r["seed"], r["config"]["epochs"]) in by_seed]
        if not deltas:
            return "–"
        down, up = sum(d < 0 for d in deltas), sum(d > 0 for d in deltas)
        return "{:+.2f} ± {:.2f} ({} down, {} up)".format(*mean_std(deltas), down, up)

    def load(records):
        values = [r["environment"]["machine"].get("load_average", [float("nan")])[0] for r in records]
        values += [r["load_average_at_start"][0] for r in records if r.get("load_average_at_start")]
        return f"{min(values):.1f}–{max(values):.1f}"

    lines = ["# CG3 on Planetoid", "",
             "Test accuracy (%) at the epoch of best validation accuracy, mean ± std over seeds. Published "
             "numbers from REFERENCE.md (unverified). Seconds per epoch include the per-epoch validation "
             "pass (wall time; CPU s/epoch is this process's CPU time summed over its torch threads); "
             "peak memory is the process's max RSS. Load avg: 1-minute load at the start and end of the runs "
             "(`load_average_at_start`, `environment.machine.load_average` in the JSON lines).", ""]
    rows = []
    for (experiment, dataset, variant, rate), records in groups.items():
        if experiment != "public" or variant != "full":
            continue
        published = PUBLISHED.get(dataset)
        sec, sec_std = mean_std([r["seconds_per_epoch"] for r in records])
        cpu = [r["cpu_seconds_per_epoch"] for r in records if "cpu_seconds_per_epoch" in r]
        cpu = "{:.3f} ± {:.3f}".format(*mean_std(cpu)) if cpu else "–"
        rows.append([dataset, " ".join(str(r["seed"]) for r in records), accuracy(records),
                     f"{published} (unverified)" if published else "not listed",
                     " ".join(sorted({str(r["environment"]["machine"].get("torch_threads", "?")) for r in records})),
                     f"{sec:.3f} ± {sec_std:.3f}", cpu, f"{max(r['peak_memory_mb'] for r in records):.0f}",
                     format_mean_std([r["best_epoch"] for r in records], digits=0),
                     format_mean_std([r["epochs_run"] for r in records], digits=0), config(records),
                     load(records)])
    if rows:
        lines += ["## Public split", "", markdown_table(
            ["dataset", "seeds", "CG3 (ours)", "published", "threads", "s/epoch (wall)", "CPU s/epoch", "peak MB",
             "best epoch", "epochs run",
             "budget", "load avg"], rows)]
    rows = []
    by_dataset_and_rate = sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][3] or 0))
    for (experiment, dataset, variant, rate), records in by_dataset_and_rate:
        if experiment != "label_rate":
            continue
        rows.append([dataset, f"{100 * rate:g}%", records[0]["num_train"],
                     " ".join(str(r["seed"]) for r in records), accuracy(records),
                     format_mean_std([r["valid_accuracy"] for r in records], scale=100),
                     " ".join(str(r["best_epoch"]) for r in records), "not listed in REFERENCE.md",
                     config(records)])
    if rows:
        lines += ["## Low label rates (class-balanced random splits, 500 validation / 1000 test nodes)", "",
                  "Each seed draws its own split. A best epoch close to the budget means the run was still "
                  "improving on validation when it stopped.", "",
                  markdown_table(["dataset", "label rate", "labelled nodes", "seeds", "CG3 (ours)", "valid accuracy",
                                  "best epoch per seed", "published", "budget"], rows)]
    rows = []
    for (experiment, dataset, variant, rate), records in groups.items():
        if experiment != "ablation":
            continue
        reference = groups.get(("ablation", dataset, "full", rate), [])
        rows.append([dataset, "all terms" if variant == "full" else f"without {variant[3:]}",
                     " ".join(str(r["seed"]) for r in records), accuracy(records),
                     "" if variant == "full" else paired_delta(records, reference),
                     format_mean_std([r["valid_accuracy"] for r in records], scale=100),
                     format_mean_std([r["best_epoch"] for r in records], digits=0), config(records)])
    if any(k[0] == "ablation" for k in groups):
        lines += ["## Ablation (public split; each loss term switched off)", "",
                  "Δ: test accuracy minus the all-terms run of the same seed, mean ± std over seeds.", "",
                  markdown_table(["dataset", "variant", "seeds", "test accuracy", "Δ vs all terms (paired)",
                                  "valid accuracy", "best epoch", "budget"],
                                 sorted(rows, key=lambda r: (r[0], r[1] != "all terms", r[1])))]
    rows = []
    for (experiment, dataset, variant, rate), records in groups.items():
        if experiment != "sweep":
            continue
        reference = groups.get(("sweep", dataset, "defaults", rate), [])
        rows.append([dataset, variant, " ".join(str(r["seed"]) for r in records),
                     format_mean_std([r["valid_accuracy"] for r in records], scale=100), accuracy(records),
                     "" if variant == "defaults" else paired_delta(records, reference),
                     format_mean_std([r["best_epoch"] for r in records], digits=0), config(records)])
    if rows:
        lines += ["## Hyperparameter sweep (public split; one change at a time from the official values)", "",
                  "Choose on the validation column; the test column is shown only to report the chosen one.",
                  "", markdown_table(["dataset", "change", "seeds", "valid accuracy", "test accuracy",
                                      "Δ test vs defaults (paired)", "best epoch", "budget"],
                                     sorted(rows, key=lambda r: (r[0], r[1] != "defaults", r[1])))]
    missing = [name for name in PUBLISHED if not any(k[1] == name for k in latest)]
    if missing:
        lines += [f"No results here for: {', '.join(missing)} (PubMed's raw files are not in the offline "
                  "dataset mirror)."]
    return "\n".join(lines)


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.merge:
        for path in args.merge:
            for record in read_jsonl(path):
                append_jsonl(args.results, record)
        args.datasets = []
    for dataset in args.datasets:
        try:
            data = load_planetoid(dataset)
        except DatasetNotFoundError as error:
            print(f"{dataset}: not available ({str(error).splitlines()[0]})")
            continue
        if "public" in args.experiments:
            for seed in args.seeds:
                run_one(args, data, "public", dataset, seed)
        if "ablation" in args.experiments:
            # the reference "full" row runs under the same budget as the switched-off variants
            for variant in args.ablation_variants or ["full"] + [f"no_{name}" for name in LOSS_TERMS]:
                for seed in args.ablation_seeds:
                    run_one(args, data, "ablation", dataset, seed, variant=variant)
        if "sweep" in args.experiments:
            for change in args.sweep:
                for seed in args.sweep_seeds:
                    run_one(args, data, "sweep", dataset, seed, variant=change)
        if "label_rate" in args.experiments:
            for rate in args.label_rates:
                for seed in args.label_rate_seeds:
                    run_one(args, data, "label_rate", dataset, seed, label_rate=rate)
    summary = summarize(args.results)
    atomic_write_text(Path(args.results).with_suffix(".md"), summary + "\n")
    print(summary)


if __name__ == "__main__":
    main()
