"""``graphcl embeddings``: alignment / uniformity of saved embeddings and an optional 2-D plot."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from graphcl.eval import alignment, plot_embeddings, uniformity


def _load(path: Path):
    import torch

    if not path.is_file():
        raise FileNotFoundError(f"embeddings file not found: {path}")
    obj = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(obj, torch.Tensor):
        return obj, None, None
    if not isinstance(obj, dict) or "embeddings" not in obj:
        raise ValueError(f"{path} must hold a tensor or a dict with 'embeddings' (and optional 'labels', "
                         "'embeddings_view2')")
    return obj["embeddings"], obj.get("labels"), obj.get("embeddings_view2")


def _run(args: argparse.Namespace) -> int:
    embeddings, labels, second = _load(Path(args.input))
    embeddings = embeddings.float()
    print(f"{embeddings.size(0)} embeddings of dimension {embeddings.size(1)}")
    print(f"uniformity (t=2, collapsed = 0): {float(uniformity(embeddings)):.4f}")
    if second is not None:
        print(f"alignment (alpha=2, 0 = positive pairs coincide): {float(alignment(embeddings, second.float())):.4f}")
    if args.plot:
        if labels is not None:
            labels = labels.view(-1).long()
        try:
            path = plot_embeddings(embeddings, args.plot, labels=labels, method=args.method)
        except ImportError as error:
            print(f"graphcl embeddings: error: {error}", file=sys.stderr)
            return 2
        print(f"plot: {path}")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "embeddings", help="alignment/uniformity of saved embeddings and a 2-D plot coloured by label")
    parser.add_argument("input", help="a .pt file: a tensor [N, d] or a dict with 'embeddings', optional "
                                      "'labels' [N] and 'embeddings_view2' [N, d] (for alignment)")
    parser.add_argument("--plot", default=None, help="write a PNG scatter plot here (needs graphcl[plot])")
    parser.add_argument("--method", default="pca", choices=["pca", "tsne"])
    parser.set_defaults(func=_run)
