"""``graphcl tu-unsupervised``: GraphCL / JOAO / JOAOv2 on TU datasets with the SVM protocol."""
from __future__ import annotations

import argparse


def _run(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from graphcl.eval.unsupervised_tu import run_unsupervised_tu, summarize_tu
    from graphcl.utils import append_jsonl, atomic_write_text, environment_info, read_jsonl

    output = Path(args.output) if args.output else None
    environment = environment_info()
    for dataset in args.datasets:
        for method in args.methods:
            for seed in args.seeds:
                record = run_unsupervised_tu(dataset, method, seed=seed, epochs=args.epochs, lr=args.lr,
                                             batch_size=args.batch_size, augmentation=args.augmentation,
                                             p=args.p, gamma=args.gamma, classifier=args.classifier,
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
    parser.add_argument("--methods", nargs="+", default=["graphcl"], choices=("graphcl", "joao", "joaov2"))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--epochs", type=int, default=None, help="default: 20 (JOAOv2: 40)")
    parser.add_argument("--lr", type=float, default=None, help="default: 0.01 (JOAOv2: 0.001)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--augmentation", default="random2", help="GraphCL mode: dnodes, pedges, subgraph, "
                        "mask_nodes, random2, random3, random4")
    parser.add_argument("--p", type=float, default=0.2, help="augmentation strength")
    parser.add_argument("--gamma", type=float, default=0.1, help="JOAO regularizer")
    parser.add_argument("--classifier", default="svc", choices=("svc", "linear_svc", "logistic"))
    parser.add_argument("--device", default="auto")
    parser.add_argument("--root", default=None, help="data root (default: $GRAPHCL_DATA_ROOT or ./datasets)")
    parser.add_argument("--output", default=None, help="append JSON lines here and write a .md summary")
    parser.add_argument("--save-dir", default=None,
                        help="save each trained encoder here as <dataset>_<method>_seed<seed>.pt")
    parser.add_argument("--no-progress", action="store_true")
    parser.set_defaults(func=_run)
