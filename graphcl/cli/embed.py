"""``graphcl embed``: one embedding row per item of a data file, from a saved encoder, as ``.npy``.

What gets embedded depends on what the checkpoint holds:

- a molecular encoder (or a fine-tuned model folder, ``--model``) embeds the molecules of a CSV or SMILES
  list, one row per input molecule in order; rows of SMILES that cannot be featurized are NaN and listed on
  stderr;
- a node encoder written by ``graphcl pretrain`` embeds every node of a graph file or named graph, in node
  order, layer by layer in chunks (:func:`graphcl.eval.node_embeddings.save_node_embeddings`).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from graphcl.cli.node import NODE_LEVEL
from graphcl.eval.node_embeddings import DEFAULT_CHUNK_SIZE, save_node_embeddings
from graphcl.eval.node_protocol import NODE_METHODS, prepare_node_data
from graphcl.nn.molecule_gin import ENCODER_CLASSES, MoleculeGINEncoder, load_encoder
from graphcl.predict import embed_smiles, load_property_model, read_molecule_table
from graphcl.utils import atomic_save_numpy, load_checkpoint, peak_memory_mb

#: Encoder classes whose inputs are featurized molecules.
MOLECULAR_ENCODERS = (MoleculeGINEncoder.__name__,)


def is_node_checkpoint(extra: dict) -> bool:
    """Whether a checkpoint's ``extra`` marks a node encoder (older ones only name a node method)."""
    return extra.get("level") == NODE_LEVEL or (extra.get("level") is None and extra.get("method") in NODE_METHODS
                                               and extra.get("dataset") is not None)


def checkpoint_kind(payload) -> str:
    """``"molecules"`` for a molecular encoder checkpoint, ``"nodes"`` for a node encoder, else ValueError."""
    if not isinstance(payload, dict) or "class" not in payload or "state_dict" not in payload:
        raise ValueError("not an encoder checkpoint written by graphcl (save_encoder / --out / --save-dir); a "
                         "training checkpoint such as last.pt holds the whole method: use the encoder file "
                         "written next to it")
    if payload["class"] in MOLECULAR_ENCODERS:
        return "molecules"
    if is_node_checkpoint(payload.get("extra") or {}):
        return "nodes"
    if payload["class"] in ENCODER_CLASSES:
        raise ValueError(f"the checkpoint holds a node-level encoder ({payload['class']}) without the graph settings "
                         "that `graphcl pretrain --save-dir` records with it; embed nodes with an encoder written "
                         "by `graphcl pretrain`")
    raise ValueError(f"the checkpoint holds a {payload['class']} that `graphcl embed` does not know how to feed: "
                     "expected a molecular encoder (pretrain-molecules, finetune) or a node encoder "
                     "(graphcl pretrain)")


def _embed_molecules(args: argparse.Namespace, encoder) -> int:
    table = read_molecule_table(args.data, args.smiles_column, with_targets=False)
    embeddings, errors = embed_smiles(encoder, table.smiles, featurizer=args.featurizer,
                                      device=args.device or "cpu")
    failed = [i for i, e in enumerate(errors) if e is not None]
    if failed:
        print(f"{len(failed)} of {len(errors)} molecules could not be featurized; their rows are NaN:",
              file=sys.stderr)
        for i in failed:
            print(f"  row {i} (line {table.lines[i]}): {table.smiles[i]!r}: {errors[i]}", file=sys.stderr)
    atomic_save_numpy(embeddings, Path(args.out))
    print(f"{embeddings.shape[0]} x {embeddings.shape[1]} embeddings written to {args.out}")
    return 0


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
    if not str(args.out).endswith(".npy"):
        raise ValueError(f"--out must be a .npy file, got {args.out}")
    if (args.checkpoint is None) == (args.model is None):
        raise ValueError("give exactly one of --checkpoint ENCODER.pt and --model DIR")
    if args.model is not None or Path(args.checkpoint).is_dir():
        return _embed_molecules(args, load_property_model(args.model or args.checkpoint).encoder)
    payload = load_checkpoint(args.checkpoint)
    if checkpoint_kind(payload) == "molecules":
        return _embed_molecules(args, load_encoder(args.checkpoint))
    return _embed_nodes(args, payload.get("extra") or {})


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "embed", help="embeddings of a saved encoder as .npy: one row per input molecule, or per node",
        description="Embed with a saved encoder (--checkpoint) or a fine-tuned model folder (--model). A molecular "
                    "encoder embeds the molecules of a CSV (SMILES column) or SMILES list, one row per input "
                    "molecule in order (unparsable SMILES give NaN rows, listed on stderr); a node encoder written "
                    "by `graphcl pretrain` embeds every node of a graph file or dataset, row i = node i.")
    parser.add_argument("--checkpoint", default=None, help="encoder file (ENCODER.pt)")
    parser.add_argument("--model", default=None, help="model folder written by `graphcl finetune --save-dir`")
    parser.add_argument("--data", required=True, help="molecules: CSV with a SMILES column or a .smi/.txt list; "
                        "nodes: graph file (.pt or CSV edge list) or dataset name")
    parser.add_argument("--out", required=True, help="output .npy file")
    molecules = parser.add_argument_group("molecules")
    molecules.add_argument("--smiles-column", default=None, help="default: the column named smiles or mol")
    molecules.add_argument("--featurizer", default=None, choices=("ogb", "hu2020"),
                           help="must match the encoder's (default: the encoder's)")
    nodes = parser.add_argument_group("nodes")
    nodes.add_argument("--features", default=None,
                       help="node features of an edge list (default: the file used in pretraining)")
    nodes.add_argument("--num-nodes", dest="num_nodes", type=int, default=None,
                       help="node count of an edge list (default: as in pretraining)")
    nodes.add_argument("--chunk-size", dest="chunk_size", type=int, default=DEFAULT_CHUNK_SIZE,
                       help="nodes per chunk of the layer-wise inference (default: 65536)")
    parser.add_argument("--device", default=None, help="default: cpu")
    parser.add_argument("--root", default=None, help="data root (default: $GRAPHCL_DATA_ROOT or ./datasets)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=_embed)
