"""``graphcl data``: load a dataset and print its statistics."""
from __future__ import annotations

import argparse


def _run(args: argparse.Namespace) -> int:
    from graphcl.data import load_planetoid

    data = load_planetoid(args.dataset, root=args.root)
    print(
        f"{args.dataset}: {data.num_nodes} nodes, {data.num_edges} edges, "
        f"{data.num_features} features, {int(data.y.max()) + 1} classes, "
        f"split {int(data.train_mask.sum())}/{int(data.val_mask.sum())}/{int(data.test_mask.sum())}"
    )
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser("data", help="load a dataset and print its statistics")
    parser.add_argument("--dataset", default="Cora")
    parser.add_argument("--root", default=None, help="data root (default: $GRAPHCL_DATA_ROOT or ./datasets)")
    parser.set_defaults(func=_run)
