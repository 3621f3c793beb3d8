"""``graphcl tu-unsupervised``: GraphCL / JOAO / JOAOv2 / InfoGraph / MVGRL on TU datasets with the SVM
protocol, and the two references measured with the same probe (``untrained``, ``raw_features``)."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from graphcl.eval.unsupervised_tu import GRAPH_METHODS, run_unsupervised_tu, summarize_tu
from graphcl.utils import append_jsonl, atomic_write_text, environment_info, read_jsonl

#: Options forwarded to :func:`run_unsupervised_tu` only when given (its defaults are per method).
_FORWARDED = ("epochs", "lr", "batch_size", "hidden_channels", "num_layers", "augmentation", "p", "gamma",
              "classifier", "root")


def _run(args: argparse.Namespace) -> int:
    output = Path(args.out) if args.out else None
    environment = environment_info()
    given = {name: getattr(args, name) for name in _FORWARDED if getattr(args, name) is not None}
    for dataset in args.datasets:
        for method in args.methods:
            for seed in args.seeds:
                save_to = Path(args.save_dir) / f"{dataset}_{method}_seed{seed}.pt" if args.save_dir else None
                record = run_unsupervised_tu(dataset, method, seed=seed, device=args.device,
                                             progress=not args.no_progress, save_encoder_to=save_to, **given)
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
        "tu-unsupervised", help="pretrain GraphCL/JOAO/JOAOv2/InfoGraph/MVGRL on TU datasets and evaluate by SVM "
                                "cross-validation (untrained / raw_features: references without pretraining)")
    parser.add_argument("--datasets", nargs="+", default=["MUTAG"], help="TU names, e.g. MUTAG PROTEINS NCI1")
    parser.add_argument("--methods", nargs="+", default=["graphcl"], choices=GRAPH_METHODS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--epochs", type=int, help="default per method (GraphCL 20, JOAOv2 40, MVGRL 40, ...)")
    parser.add_argument("--lr", type=float, help="default per method")
    parser.add_argument("--batch-size", type=int, help="default per method (128; MVGRL 64)")
    parser.add_argument("--hidden-channels", type=int, help="default per method (32; MVGRL 512)")
    parser.add_argument("--num-layers", type=int, help="default per method (3; InfoGraph 5; MVGRL 4)")
    parser.add_argument("--augmentation", help="GraphCL mode: dnodes, pedges, subgraph, mask_nodes, random2 "
                        "(default), random3, random4")
    parser.add_argument("--aug-ratio", dest="p", type=float, help="augmentation strength (default 0.2)")
    parser.add_argument("--p", dest="p", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--gamma", type=float, help="JOAO regularizer (default 0.1)")
    parser.add_argument("--classifier", choices=("svc", "linear_svc", "logistic"), help="default: svc")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--root", help="data root (default: $GRAPHCL_DATA_ROOT or ./datasets)")
    parser.add_argument("--out", help="append JSON lines to this FILE and write a .md summary next to it")
    parser.add_argument("--output", dest="out", help=argparse.SUPPRESS)
    parser.add_argument("--save-dir", default=None,
                        help="save each trained encoder here as <dataset>_<method>_seed<seed>.pt")
    parser.add_argument("--no-progress", action="store_true")
    parser.set_defaults(func=_run)
