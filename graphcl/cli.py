"""The ``graphcl`` command line (thin: it parses arguments and calls the library)."""
from __future__ import annotations

import argparse
import sys
from typing import Sequence


def _cmd_data(args: argparse.Namespace) -> int:
    from graphcl.data import load_planetoid

    data = load_planetoid(args.dataset, root=args.root)
    print(
        f"{args.dataset}: {data.num_nodes} nodes, {data.num_edges} edges, "
        f"{data.num_features} features, {int(data.y.max()) + 1} classes, "
        f"split {int(data.train_mask.sum())}/{int(data.val_mask.sum())}/{int(data.test_mask.sum())}"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="graphcl", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    data = sub.add_parser("data", help="load a dataset and print its statistics")
    data.add_argument("--dataset", default="Cora")
    data.add_argument("--root", default=None, help="data root (default: $GRAPHCL_DATA_ROOT or ./datasets)")
    data.set_defaults(func=_cmd_data)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
