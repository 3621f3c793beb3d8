"""``graphcl embed``: embeddings of a saved encoder for scikit-learn and friends.

What gets embedded depends on what the checkpoint holds: a molecular encoder embeds the molecules of a SMILES
file, one row per molecule. Each kind of encoder has an embedder in :data:`EMBEDDERS`, keyed by the kind
:func:`checkpoint_kind` reads from the checkpoint; a node-level embedder (the nodes of a user's graph file with a
node encoder) plugs in there.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

import numpy as np
from torch import nn

from graphcl.nn.molecule_gin import ENCODER_CLASSES, MoleculeGINEncoder, load_encoder
from graphcl.predict import embed_smiles, load_property_model, read_molecule_table
from graphcl.utils import atomic_save_numpy, load_checkpoint

#: Encoder classes whose inputs are featurized molecules.
MOLECULAR_ENCODERS = (MoleculeGINEncoder.__name__,)


def checkpoint_kind(payload) -> str:
    """``"molecules"`` for a molecular encoder checkpoint, ``"nodes"`` for a node-level encoder, else ValueError."""
    if not isinstance(payload, dict) or "class" not in payload or "state_dict" not in payload:
        raise ValueError("not an encoder checkpoint written by graphcl (save_encoder / --out / --save); a training "
                         "checkpoint such as last.pt holds the whole method: use the encoder.pt written next to it")
    name = payload["class"]
    if name in MOLECULAR_ENCODERS:
        return "molecules"
    if name in ENCODER_CLASSES:
        return "nodes"
    raise ValueError(f"unknown encoder class {name!r} in the checkpoint")


def _embed_molecules(encoder: nn.Module, args: argparse.Namespace) -> np.ndarray:
    table = read_molecule_table(args.data, args.smiles_column, with_targets=False)
    embeddings, errors = embed_smiles(encoder, table.smiles, featurizer=args.featurizer,
                                      device=args.device or "cpu")
    failed = [i for i, e in enumerate(errors) if e is not None]
    if failed:
        print(f"{len(failed)} of {len(errors)} molecules could not be featurized; their rows are NaN:",
              file=sys.stderr)
        for i in failed:
            print(f"  row {i} (line {table.lines[i]}): {table.smiles[i]!r}: {errors[i]}", file=sys.stderr)
    return embeddings


def _embed_nodes(encoder: nn.Module, args: argparse.Namespace) -> np.ndarray:
    raise ValueError(f"{args.checkpoint} holds a node-level encoder ({type(encoder).__name__}); `graphcl embed` "
                     f"embeds molecules with a molecular encoder (MoleculeGINEncoder) only so far")


#: kind of checkpoint -> ``(encoder, args) -> [n, d]`` array.
EMBEDDERS: dict[str, Callable[[nn.Module, argparse.Namespace], np.ndarray]] = {
    "molecules": _embed_molecules,
    "nodes": _embed_nodes,
}


def _embed(args: argparse.Namespace) -> int:
    if not str(args.out).endswith(".npy"):
        raise ValueError(f"--out must be a .npy file, got {args.out}")
    if (args.checkpoint is None) == (args.model is None):
        raise ValueError("give exactly one of --checkpoint ENCODER.pt and --model DIR")
    if args.model is not None or Path(args.checkpoint).is_dir():
        model = load_property_model(args.model or args.checkpoint)
        encoder, kind = model.encoder, "molecules"
    else:
        kind = checkpoint_kind(load_checkpoint(args.checkpoint))
        encoder = load_encoder(args.checkpoint)
    embeddings = EMBEDDERS[kind](encoder, args)
    out = Path(args.out)
    atomic_save_numpy(embeddings, out)
    print(f"{embeddings.shape[0]} x {embeddings.shape[1]} embeddings written to {out}")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "embed", help="embeddings of a saved encoder (one row per input molecule) as .npy",
        description="Embed the molecules of a CSV (SMILES column) or SMILES list with a saved encoder "
                    "(--checkpoint) or a fine-tuned model folder (--model). One row per input molecule, in "
                    "order; rows of SMILES that cannot be featurized are NaN and listed on stderr.")
    parser.add_argument("--checkpoint", default=None, help="encoder file (save_encoder, pretrain --out)")
    parser.add_argument("--model", default=None, help="model folder written by `graphcl finetune --save-dir`")
    parser.add_argument("--data", required=True, help="CSV with a SMILES column, or a .smi/.txt SMILES list")
    parser.add_argument("--out", required=True, help="embeddings file (.npy, float32 [n, d])")
    parser.add_argument("--smiles-column", default=None, help="default: the column named smiles or mol")
    parser.add_argument("--featurizer", default=None, choices=("ogb", "hu2020"),
                        help="must match the encoder's (default: the encoder's)")
    parser.add_argument("--device", default=None, help="default: cpu")
    parser.set_defaults(func=_embed)
