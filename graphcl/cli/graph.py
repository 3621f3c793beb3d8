"""``graphcl tu-unsupervised``: GraphCL / JOAO / JOAOv2 on TU datasets with the SVM protocol."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from graphcl.cli.options import add_alias, add_run_options, library_default
from graphcl.eval.unsupervised_tu import GRAPH_METHODS, run_unsupervised_tu, summarize_tu
from graphcl.utils import append_jsonl, atomic_write_text, environment_info, read_jsonl


def _run(args: argparse.Namespace) -> int:
    output = Path(args.out) if args.out else None
    environment = environment_info()
    for dataset in args.datasets:
        for method in args.methods:
            for seed in args.seeds:
                record = run_unsupervised_tu(dataset, method, seed=seed, epochs=args.epochs, lr=args.lr,
                                             batch_size=args.batch_size, hidden_channels=args.hidden_channels,
                                             num_layers=args.num_layers, augmentation=args.augmentation,
                                             p=args.aug_ratio, gamma=args.gamma, classifier=args.classifier,
                                             device=args.device, root=args.root, progress=not args.no_progress,
                                             save_encoder_to=(Path(args.save_dir) / f"{dataset}_{method}_seed{seed}.pt"
                                                              if args.save_dir else None))
                record["environment"] = environment
                record["load_average"] = os.getloadavg()
                line = (f"{dataset} {method} seed {seed}: accuracy {100 * record['accuracy']:.2f} "
                        f"(fold std {100 * record['fold_std']:.2f}), {record['seconds_per_epoch']:.2f} s/epoch")
                if "aug_probs_last" in record:
                    top = max(zip(record["aug_probs_last"], record["pair_names"]))
                    line += f", most likely pair {top[1]} p={top[0]:.2f}"
                print(line, flush=True)
                if output is not None:
                    append_jsonl(output, record)
    if output is not None:
        atomic_write_text(output.with_suffix(".md"), summarize_tu(read_jsonl(output)))
        print(f"results: {output} and {output.with_suffix('.md')}")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "tu-unsupervised", help="pretrain GraphCL/JOAO/JOAOv2 on TU datasets and evaluate by SVM cross-validation")
    parser.add_argument("--datasets", nargs="+", default=["MUTAG"], help="TU names, e.g. MUTAG PROTEINS NCI1")
    parser.add_argument("--methods", nargs="+", default=["graphcl"], choices=GRAPH_METHODS)
    parser.add_argument("--epochs", type=int, default=None, help="default: the method's paper setting "
                        "(20; JOAOv2: 40)")
    parser.add_argument("--lr", type=float, default=None, help="default: the method's paper setting "
                        "(0.01; JOAOv2: 0.001)")
    parser.add_argument("--batch-size", type=int, default=library_default(run_unsupervised_tu, "batch_size"))
    parser.add_argument("--hidden-channels", type=int,
                        default=library_default(run_unsupervised_tu, "hidden_channels"))
    parser.add_argument("--num-layers", type=int, default=library_default(run_unsupervised_tu, "num_layers"))
    parser.add_argument("--augmentation", default=library_default(run_unsupervised_tu, "augmentation"),
                        help="GraphCL mode: dnodes, pedges, subgraph, mask_nodes, random2, random3, random4")
    parser.add_argument("--aug-ratio", type=float, default=library_default(run_unsupervised_tu, "p"),
                        help="augmentation strength")
    add_alias(parser, "--p", dest="aug_ratio", type=float)
    parser.add_argument("--gamma", type=float, default=library_default(run_unsupervised_tu, "gamma"),
                        help="JOAO regularizer")
    parser.add_argument("--classifier", default=library_default(run_unsupervised_tu, "classifier"),
                        choices=("svc", "linear_svc", "logistic"))
    parser.add_argument("--out", default=None, help="append JSON lines to this file and write a .md summary")
    add_alias(parser, "--output", dest="out")
    parser.add_argument("--save-dir", default=None,
                        help="save each trained encoder here as <dataset>_<method>_seed<seed>.pt")
    add_run_options(parser, seeds=True)
    parser.set_defaults(func=_run)
