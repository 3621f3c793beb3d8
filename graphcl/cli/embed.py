"""``graphcl embed``: one embedding row per item of a data file, from a saved encoder.

Dispatches on what the checkpoint holds: a node encoder (written by ``graphcl pretrain``) embeds every node
of a graph file or named graph, in node order, layer by layer in chunks
(:func:`graphcl.eval.node_embeddings.save_node_embeddings`).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from graphcl.cli.node import NODE_LEVEL
from graphcl.eval.node_embeddings import DEFAULT_CHUNK_SIZE, save_node_embeddings
from graphcl.eval.node_protocol import NODE_METHODS, prepare_node_data
from graphcl.nn import load_encoder
from graphcl.utils import load_checkpoint, peak_memory_mb


def is_node_checkpoint(extra: dict) -> bool:
    """Whether a checkpoint's ``extra`` marks a node encoder (older ones only name a node method)."""
    return extra.get("level") == NODE_LEVEL or (extra.get("level") is None and extra.get("method") in NODE_METHODS
                                               and extra.get("dataset") is not None)


def _embed_nodes(args: argparse.Namespace, extra: dict) -> int:
    start = time.perf_counter()
    features = args.features if args.features is not None else extra.get("features")
    data = prepare_node_data(args.data, root=args.root, normalize_features=extra.get("normalize_features"),
                             features=features, num_nodes=args.num_nodes or extra.get("num_nodes"),
                             directed=bool(extra.get("directed", False)))
    encoder = load_encoder(args.checkpoint)
    if data.num_features != encoder.in_channels:
        raise ValueError(f"{args.data} has {data.num_features} node features but the encoder in "
                         f"{args.checkpoint} expects {encoder.in_channels}"
                         + ("" if features else "; pass the features it was trained with (--features)"))
    shape = save_node_embeddings(encoder, data, args.out, chunk_size=args.chunk_size,
                                 progress=not args.no_progress)
    print(f"node embeddings {shape[0]} x {shape[1]} written to {args.out} "
          f"({time.perf_counter() - start:.1f} s, peak RSS {peak_memory_mb():.0f} MiB)")
    return 0


def _embed(args: argparse.Namespace) -> int:
    payload = load_checkpoint(args.checkpoint)
    extra = payload.get("extra", {}) if isinstance(payload, dict) else {}
    if is_node_checkpoint(extra):
        return _embed_nodes(args, extra)
    raise ValueError(f"{args.checkpoint} does not hold an encoder that `graphcl embed` knows "
                     "(expected a node encoder written by `graphcl pretrain`)")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "embed", help="write the embeddings of a saved encoder as a .npy file (one row per node)",
        description="Embed every node of a graph (a graph file or a dataset name) with an encoder written by "
                    "`graphcl pretrain`; row i of the output is node i.")
    parser.add_argument("--checkpoint", required=True, help="encoder checkpoint (ENCODER.pt)")
    parser.add_argument("--data", required=True, help="graph file (.pt or CSV edge list) or dataset name")
    parser.add_argument("--out", required=True, help="output .npy file")
    parser.add_argument("--features", default=None,
                        help="node features of an edge list (default: the file used in pretraining)")
    parser.add_argument("--num-nodes", dest="num_nodes", type=int, default=None,
                        help="node count of an edge list (default: as in pretraining)")
    parser.add_argument("--chunk-size", dest="chunk_size", type=int, default=DEFAULT_CHUNK_SIZE,
                        help="nodes per chunk of the layer-wise inference (default: 65536)")
    parser.add_argument("--root", default=None, help="data root (default: $GRAPHCL_DATA_ROOT or ./datasets)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=_embed)
