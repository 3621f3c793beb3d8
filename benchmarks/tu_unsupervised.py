"""Unsupervised TU table: GraphCL, JOAO, JOAOv2, InfoGraph and MVGRL with the SVM protocol, next to the
published numbers and two references measured with the same probe (untrained GIN, sum of node features).

    python benchmarks/tu_unsupervised.py --methods graphcl joao joaov2        # 4 datasets x 5 seeds
    python benchmarks/tu_unsupervised.py --methods infograph untrained raw_features \
        --output benchmarks/results/tu_unsupervised_baselines.jsonl           # issue #17
    python benchmarks/tu_unsupervised.py --large              # also DD, COLLAB, REDDIT-BINARY (long)
    python benchmarks/tu_unsupervised.py --quick              # smoke run: MUTAG, 2 epochs, 1 seed

Each run appends a JSON line (config, environment, per-fold accuracies, losses, seconds per epoch, peak
memory, JOAO's first/last/per-epoch augmentation distribution) to ``results/tu_unsupervised.jsonl``; the
Markdown summary ``results/tu_unsupervised.md`` is rebuilt from every line of that file.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from graphcl.eval.unsupervised_tu import (
    GRAPH_METHODS,
    METHOD_DEFAULTS,
    PUBLISHED_TU,
    run_unsupervised_tu,
    summarize_tu,
)
from graphcl.utils import append_jsonl, atomic_write_text, environment_info, read_jsonl
REFERENCE_METHODS = ("untrained", "raw_features")

MAIN_DATASETS = ("MUTAG", "PROTEINS", "NCI1", "IMDB-BINARY")
LARGE_DATASETS = ("DD", "COLLAB", "REDDIT-BINARY")
RESULTS = Path(__file__).resolve().parent / "results"


def protocol_card(records) -> str:
    """The protocol card that opens every result file: split, selection rule, seeds, features, budget."""
    seeds = sorted({r["seed"] for r in records})
    budgets: dict[str, dict[tuple, list[str]]] = {}
    for record in records:
        config = record["config"]
        setting = (config.get("epochs"), config.get("lr"), config.get("batch_size"), config.get("num_layers"),
                   config.get("hidden_channels"))
        datasets = budgets.setdefault(record["method"], {}).setdefault(setting, [])
        if record["dataset"] not in datasets:
            datasets.append(record["dataset"])
    budget_lines = []
    for method, settings in sorted(budgets.items()):
        for (epochs, lr, batch, layers, hidden), datasets in settings.items():
            text = "no training" if not epochs else f"{epochs} epochs, lr {lr:g}, batch {batch}, {layers} x {hidden}"
            default = METHOD_DEFAULTS.get(method, {})
            if epochs and (epochs, hidden) != (default.get("epochs"), default.get("hidden_channels")):
                text += (f" (reduced from the default {default.get('epochs')} epochs, "
                         f"{default.get('num_layers')} x {default.get('hidden_channels')}, to fit the shared CPU)")
            budget_lines.append(f"  - {method}: {text} ({', '.join(datasets)})")
    return "\n".join([
        "# Unsupervised TU: pretrained encoders and references under one SVM probe",
        "",
        "Protocol card",
        "- Split: stratified 10-fold cross-validation over all graphs (outer folds shuffled with the run's seed);",
        "  pretraining sees every graph without labels, as in the papers.",
        "- Model selection: SVM `C` in {1e-3, ..., 1e3} by an inner stratified 5-fold grid search on the outer",
        "  training fold only (RBF kernel, gamma = 1 / (d Var x)); the embeddings of the final pretraining epoch",
        "  are used: no epoch and no hyperparameter is chosen on test folds. Pretraining hyperparameters are the",
        "  papers' / official code's defaults, not tuned here (paper defaults, no tuning).",
        f"- Seeds: {', '.join(str(seed) for seed in seeds)} (the seed sets the initialisation, batch order and folds).",
        "- Features: the TU node labels one-hot (constant 1 for IMDB-BINARY); MVGRL: node labels one-hot + one-hot",
        "  degree (degree alone for IMDB-BINARY), as its official data loader. `untrained` = GIN 3 x 32 at its",
        "  random initialisation (eval mode); `raw_features` = the sum of the node features of each graph.",
        "- Budget (per method):",
        *budget_lines,
        "- Accuracy (%) = mean ± std over seeds of each seed's 10-fold mean accuracy. CPU only, 1 thread, shared",
        "  machine (load average per row).",
        "",
    ])


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(MAIN_DATASETS))
    parser.add_argument("--large", action="store_true", help="add DD, COLLAB, REDDIT-BINARY (GIN-format data)")
    parser.add_argument("--methods", nargs="+", default=["graphcl", "joao", "joaov2"], choices=GRAPH_METHODS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--epochs", type=int, default=None, help="override the per-method default")
    parser.add_argument("--hidden-channels", type=int, default=None, help="override the per-method default")
    parser.add_argument("--num-layers", type=int, default=None, help="override the per-method default")
    parser.add_argument("--augmentation", default="random2", help="GraphCL augmentation mode")
    parser.add_argument("--gamma", type=float, default=0.1, help="JOAO regularizer")
    parser.add_argument("--classifier", default="svc", choices=("svc", "linear_svc", "logistic"))
    parser.add_argument("--device", default="auto")
    parser.add_argument("--quick", action="store_true", help="MUTAG, 2 epochs, seed 0, separate output files")
    parser.add_argument("--out", default=None, help="JSON-lines FILE (default: results/tu_unsupervised.jsonl)")
    parser.add_argument("--output", dest="out", help=argparse.SUPPRESS)
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--merge", nargs="+", default=None, metavar="JSONL",
                        help="only append these result files to the output and rebuild the summary")
    parser.add_argument("--references", nargs="+", default=[], metavar="JSONL",
                        help="show the reference rows (untrained, raw_features) of these result files in the "
                             "summary too (same probe and seeds)")
    parser.add_argument("--summary-only", action="store_true", help="only rebuild the summary of --out")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    datasets = list(args.datasets) + (list(LARGE_DATASETS) if args.large else [])
    seeds, epochs = args.seeds, args.epochs
    stem = "tu_unsupervised"
    if args.quick:
        datasets, seeds, epochs, stem = ["MUTAG"], [0], 2, "tu_unsupervised_quick"
    output = Path(args.out) if args.out else RESULTS / f"{stem}.jsonl"
    if args.merge:
        for path in args.merge:
            for record in read_jsonl(path):
                append_jsonl(output, record)
        datasets = []
    if args.summary_only:
        datasets = []
    environment = environment_info()
    for dataset in datasets:
        for method in args.methods:
            for seed in seeds:
                record = run_unsupervised_tu(dataset, method, seed=seed,
                                             epochs=None if METHOD_DEFAULTS[method]["epochs"] == 0 else epochs,
                                             hidden_channels=args.hidden_channels, num_layers=args.num_layers,
                                             augmentation=args.augmentation, gamma=args.gamma,
                                             classifier=args.classifier, device=args.device,
                                             progress=not args.no_progress)
                record["environment"] = environment
                record["load_average"] = os.getloadavg()
                append_jsonl(output, record)
                print(f"{dataset} {method} seed {seed}: {100 * record['accuracy']:.2f} "
                      f"({record['seconds_per_epoch']:.2f} s/epoch, {record['peak_memory_mb']:.0f} MiB)",
                      flush=True)
    records = read_jsonl(output)
    methods = {r["method"] for r in records}
    for path in args.references:  # reference rows measured by another run, unless this file has its own
        records += [r for r in read_jsonl(path) if r["method"] in REFERENCE_METHODS and r["method"] not in methods]
    card = protocol_card(records)
    if args.references:
        card += (f"Reference rows (untrained, raw_features) read from {', '.join(f'`{Path(p).name}`' for p in args.references)}: "
                 "the same SVM protocol, seeds and folds, measured by another run.\n\n")
    summary = summarize_tu(records, PUBLISHED_TU, preamble=card)
    atomic_write_text(output.with_suffix(".md"), summary)
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
