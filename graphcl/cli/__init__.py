"""The ``graphcl`` command line. It is thin: each area registers its subcommands from its own module."""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

# Each module defines ``register(subparsers)``; subcommands call into the library.
_COMMAND_MODULES = (
    "graphcl.cli.data",
    "graphcl.cli.node",
    "graphcl.cli.graph",
    "graphcl.cli.molecules",
    "graphcl.cli.cg3",
    "graphcl.cli.diagnostics",
    "graphcl.cli.embed",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="graphcl", description="Graph contrastive learning toolkit.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from graphcl.data.mirror import DatasetNotFoundError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (DatasetNotFoundError, FileNotFoundError, ValueError) as error:
        # user errors (missing data, bad options) get their message, not a traceback
        print(f"graphcl {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
