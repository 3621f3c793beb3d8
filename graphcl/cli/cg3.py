"""``graphcl cg3``: train CG3 on a Planetoid graph for some seeds and write the accuracies as JSON."""
from __future__ import annotations

import argparse

from graphcl.cli.options import add_alias, add_run_options, library_default
from graphcl.data import load_planetoid
from graphcl.methods.cg3 import CG3, LOSS_TERMS, label_rate_split, train_cg3, with_split
from graphcl.utils import (atomic_write_json, environment_info, format_mean_std, make_generator, peak_memory_mb,
                           seed_everything)


def _run(args: argparse.Namespace) -> int:
    off = set(args.without or [])
    unknown = off - set(LOSS_TERMS)
    if unknown:
        raise ValueError(f"--without takes loss terms from {list(LOSS_TERMS)}, got {sorted(unknown)}.")
    data = load_planetoid(args.dataset, root=args.root)
    runs = []
    for seed in args.seeds:
        graph = data
        if args.label_rate is not None:
            graph = with_split(data, label_rate_split(data.y, args.label_rate, generator=make_generator(seed)))
        seed_everything(seed)
        model = CG3(data.num_features, int(data.y.max()) + 1, hidden_channels=args.hidden_channels,
                    p=args.dropout, temperature=args.temperature,
                    **{f"{name}_weight": 0.0 for name in off})
        result = train_cg3(model, graph, epochs=args.epochs, lr=args.lr, weight_decay=args.weight_decay,
                           patience=args.patience, device=args.device, progress=not args.no_progress)
        runs.append({"seed": seed, "test_accuracy": result.test_accuracy,
                     "valid_accuracy": result.valid_accuracy, "best_epoch": result.best_epoch,
                     "epochs_run": result.epochs_run, "seconds_per_epoch": result.seconds_per_epoch})
        print(f"seed {seed}: test {100 * result.test_accuracy:.2f}  valid {100 * result.valid_accuracy:.2f} "
              f"(epoch {result.best_epoch}/{result.epochs_run}, {result.seconds_per_epoch:.3f} s/epoch)")
    summary = format_mean_std([r["test_accuracy"] for r in runs], scale=100)
    print(f"{args.dataset}: test accuracy {summary} over {len(runs)} seed(s)")
    if args.out:
        config = {k: v for k, v in vars(args).items() if k != "func"}
        atomic_write_json(args.out, {"method": "CG3", "config": config, "runs": runs,
                                        "test_accuracy": summary, "peak_memory_mb": peak_memory_mb(),
                                        "environment": environment_info()})
        print(f"wrote {args.out}")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser("cg3", help="semi-supervised node classification with CG3")
    parser.add_argument("--dataset", default="Cora", help="Cora, CiteSeer or PubMed")
    parser.add_argument("--label-rate", type=float, default=None,
                        help="class-balanced random split with this fraction labelled (default: public split)")
    parser.add_argument("--epochs", type=int, default=library_default(train_cg3, "epochs"))
    parser.add_argument("--patience", type=int, default=library_default(train_cg3, "patience"),
                        help="early stopping on validation accuracy")
    parser.add_argument("--lr", type=float, default=library_default(train_cg3, "lr"))
    parser.add_argument("--weight-decay", type=float, default=library_default(train_cg3, "weight_decay"))
    parser.add_argument("--hidden-channels", type=int, default=library_default(CG3, "hidden_channels"))
    parser.add_argument("--dropout", type=float, default=library_default(CG3, "p"))
    parser.add_argument("--temperature", type=float, default=library_default(CG3, "temperature"))
    parser.add_argument("--without", nargs="*", metavar="TERM",
                        help="switch loss terms off: unsupervised supervised generative classification")
    parser.add_argument("--out", default=None, help="write the result JSON to this file (atomically)")
    add_alias(parser, "--output", dest="out")
    add_run_options(parser, seeds=True)
    parser.set_defaults(func=_run)
