"""``graphcl pretrain`` and ``graphcl evaluate``: node-level pretraining (DGI or GraphCL) on a named graph or a
graph file of one's own, full-batch or on neighbour-sampled mini-batches, and the linear-probe evaluation of
the frozen embeddings (the DGI protocol). The protocol itself lives in :mod:`graphcl.eval.node_protocol`."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import torch

from graphcl.eval.node_protocol import (
    METHOD_NAMES,
    NODE_METHODS,
    NodePretrainOptions,
    dataset_label,
    prepare_node_data,
    probe_node_embeddings,
    probe_record,
    run_node_pretraining,
)
from graphcl.nn import load_encoder, save_encoder
from graphcl.utils import atomic_write_json, environment_info, load_checkpoint, resolve_device

#: The ``extra`` entry of a checkpoint that marks a node encoder (``graphcl embed`` dispatches on it).
NODE_LEVEL = "node"

# the names of graphcl.methods.NODE_AUGMENTATIONS (kept literal so the help text needs no import)
_AUGMENTATIONS = ("subgraph", "node_drop", "edge_perturb", "attr_mask", "edge_drop")


def _given(args: argparse.Namespace, *names: str) -> dict[str, Any]:
    """The options the user gave (argparse defaults are SUPPRESS: library defaults apply to the rest)."""
    return {name: getattr(args, name) for name in names if hasattr(args, name)}


def _stem(options: NodePretrainOptions) -> str:
    return f"pretrain_{options.method}_{dataset_label(options.dataset).lower()}_seed{options.seed}"


def _pretrain(args: argparse.Namespace) -> int:
    if getattr(args, "save", None) and getattr(args, "method", None) == "mvgrl":
        raise ValueError("--save stores one encoder; MVGRL's embeddings are the sum of two encoders, so it "
                         "cannot be saved this way")
    options = NodePretrainOptions(**_given(
        args, "method", "dataset", "seed", "epochs", "hidden_channels", "num_layers", "lr", "augmentation",
        "aug_ratio", "device", "root", "features", "labels", "num_nodes", "directed", "batch_size",
        "num_neighbors", "max_batches_per_epoch", "chunk_size"))
    options.progress = not args.no_progress
    if hasattr(args, "patience"):
        options.patience = args.patience if args.patience > 0 else None
    if hasattr(args, "runs"):
        options.probe_runs = args.runs
    if args.raw_features:
        options.normalize_features = False
    model, record = run_node_pretraining(options)
    if record["rank"] != 0:  # under torchrun, rank 0 reports and saves
        return 0
    name = METHOD_NAMES[options.method]
    label = dataset_label(options.dataset)
    mode = (f"mini-batch {options.batch_size} seeds, neighbours {record['config']['num_neighbors']}, "
            f"{record['batches_per_epoch']} batches/epoch" if options.batch_size else "full batch")
    timing = (f"{record['epochs_run']} epochs ({mode}), {record['seconds_per_epoch']:.3f} s/epoch, "
              f"peak RSS {record['peak_memory_mb']:.0f} MiB")
    accuracy = record["accuracy"]
    if accuracy is not None:
        print(f"{name} on {label} (seed {options.seed}): test accuracy {accuracy['test_mean']:.2f} ± "
              f"{accuracy['test_std']:.2f} % over {accuracy['runs']} linear probes "
              f"(validation {accuracy['val_mean']:.2f} %); {timing}")
    else:
        print(f"{name} on {label} (seed {options.seed}): no labels, no probe; {timing}")
    save_dir = Path(args.save_dir)
    stem = _stem(options)
    checkpoint = Path(args.save) if args.save else save_dir / f"{stem}.encoder.pt"
    if options.method == "mvgrl":  # its embeddings are the sum of two encoders: there is no single one to save
        path = save_dir / f"{stem}.json"
        atomic_write_json(path, record)
        print(f"result written to {path} (MVGRL has two encoders; no encoder checkpoint is written)")
        return 0
    save_encoder(model.encoder, checkpoint,
                 extra={"level": NODE_LEVEL, "method": options.method, "dataset": str(options.dataset),
                        "seed": options.seed, "normalize_features": options.normalize_features,
                        "features": options.features, "directed": options.directed,
                        "num_nodes": options.num_nodes})
    record["checkpoint"] = str(checkpoint)
    print(f"encoder saved to {checkpoint}")
    path = save_dir / f"{stem}.json"
    atomic_write_json(path, record)
    print(f"result written to {path}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    device = resolve_device(args.device)
    extra = load_checkpoint(args.checkpoint).get("extra", {})
    dataset = args.dataset or extra.get("dataset")
    if dataset is None:
        raise ValueError("the checkpoint does not name its dataset; pass --dataset")
    data = prepare_node_data(dataset, root=args.root, normalize_features=extra.get("normalize_features"),
                             features=args.features or extra.get("features"), labels=args.labels,
                             num_nodes=extra.get("num_nodes"), directed=bool(extra.get("directed", False)))
    if getattr(data, "y", None) is None:
        raise ValueError(f"{dataset} has no labels; pass --labels FILE to run the linear probe")
    encoder = load_encoder(args.checkpoint, map_location=device).to(device).eval()
    if data.num_features != encoder.in_channels:
        raise ValueError(f"{dataset} has {data.num_features} features but the encoder expects "
                         f"{encoder.in_channels}")
    data = data.to(device)
    with torch.no_grad():
        embeddings = encoder(data).node
    probe = probe_node_embeddings(embeddings, data, runs=args.runs, seed=args.seed)
    label = dataset_label(dataset)
    print(f"encoder {args.checkpoint} on {label}: test accuracy {100 * probe.test_mean:.2f} ± "
          f"{100 * probe.test_std:.2f} % over {probe.runs} linear probes "
          f"(validation {100 * probe.val_mean:.2f} %)")
    record = {"config": {"checkpoint": str(args.checkpoint), "dataset": str(dataset), "checkpoint_extra": extra},
              "seed": args.seed, "accuracy": probe_record(probe), "environment": environment_info()}
    stem = Path(args.checkpoint).name.split(".")[0]
    path = Path(args.save_dir) / f"evaluate_{stem}_{label.lower()}_seed{args.seed}.json"
    atomic_write_json(path, record)
    print(f"result written to {path}")
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def _fanout(text: str) -> int:
    value = int(text)
    if value == 0 or value < -1:
        raise argparse.ArgumentTypeError(f"expected a positive number of neighbours or -1 (all), got {text}")
    return value


def _add_common(parser: argparse.ArgumentParser, library_defaults: bool) -> None:
    """Options shared by ``pretrain`` and ``evaluate`` (the project's CLI vocabulary); with
    ``library_defaults`` the seed and device are only forwarded when given."""
    parser.add_argument("--seed", type=int, **({} if library_defaults else {"default": 0}),
                        help="random seed (default: 0)")
    parser.add_argument("--device", **({} if library_defaults else {"default": "auto"}),
                        help="auto, cpu, cuda, cuda:1 ... (default: auto)")
    parser.add_argument("--save-dir", dest="save_dir", default="results",
                        help="folder for the JSON result (and the encoder) (default: results)")
    parser.add_argument("--out", dest="save_dir", help=argparse.SUPPRESS)  # old spelling of --save-dir
    parser.add_argument("--root", default=None, help="data root (default: $GRAPHCL_DATA_ROOT or ./datasets)")
    parser.add_argument("--features", default=argparse.SUPPRESS,
                        help="node features of a graph file: .npy, or CSV with one row per node in id order")
    parser.add_argument("--labels", default=argparse.SUPPRESS,
                        help="node labels of a graph file: .npy or CSV, one integer per node (-1: none)")


def register(subparsers) -> None:
    pretrain = subparsers.add_parser(
        "pretrain", help="pretrain a node encoder without labels (DGI or GraphCL); linear probe when labelled",
        description="Pretrain DGI or node-level GraphCL on a named graph (Cora, CiteSeer, PubMed, ogbn-arxiv, "
                    "ogbn-products) or on a graph file (a saved PyG Data .pt, or a two-column CSV edge list "
                    "with --features/--labels). Full batch with early stopping by default; --batch-size "
                    "trains on neighbour-sampled mini-batches (several processes under torchrun). The "
                    "encoder is saved; with labels, logistic regression on the frozen embeddings reports "
                    "the test accuracy.",
        argument_default=argparse.SUPPRESS)
    pretrain.add_argument("--method", choices=NODE_METHODS)
    pretrain.add_argument("--dataset", help="a dataset name or a graph file (default: Cora)")
    pretrain.add_argument("--num-nodes", dest="num_nodes", type=_positive_int,
                          help="node count of an edge list (default: feature rows, else largest id + 1)")
    pretrain.add_argument("--directed", action="store_true",
                          help="keep an edge list's edges as given (default: add the reverse edges)")
    pretrain.add_argument("--epochs", type=_positive_int,
                          help="epoch cap (default: 10000 with early stopping; 20 with --batch-size)")
    pretrain.add_argument("--patience", type=int,
                          help="full batch: early-stopping patience on the training loss; 0 disables "
                               "(default: 20)")
    pretrain.add_argument("--hidden-channels", dest="hidden_channels", type=_positive_int,
                          help="embedding size (default: 512; 256 on PubMed)")
    pretrain.add_argument("--hidden", dest="hidden_channels", type=_positive_int, help=argparse.SUPPRESS)
    pretrain.add_argument("--num-layers", dest="num_layers", type=_positive_int,
                          help="GCN layers (default: 1, or one per --num-neighbors entry)")
    pretrain.add_argument("--layers", dest="num_layers", type=_positive_int, help=argparse.SUPPRESS)
    pretrain.add_argument("--lr", type=float, help="Adam learning rate (default: 0.001)")
    pretrain.add_argument("--augmentation", choices=_AUGMENTATIONS,
                          help="GraphCL's view augmentation (default: subgraph)")
    pretrain.add_argument("--aug-ratio", dest="aug_ratio", type=float,
                          help="augmentation strength (default: 0.2)")
    pretrain.add_argument("--p", dest="aug_ratio", type=float, help=argparse.SUPPRESS)
    pretrain.add_argument("--batch-size", dest="batch_size", type=_positive_int,
                          help="mini-batch training: seed nodes per batch (default: full batch)")
    pretrain.add_argument("--num-neighbors", dest="num_neighbors", type=_fanout, nargs="+",
                          help="neighbours sampled per node and hop, one number per GCN layer, -1 for all "
                               "(default with --batch-size: 10 per layer)")
    pretrain.add_argument("--max-batches-per-epoch", dest="max_batches_per_epoch", type=_positive_int,
                          help="cap the batches of a mini-batch epoch (timing, smoke runs)")
    pretrain.add_argument("--chunk-size", dest="chunk_size", type=_positive_int,
                          help="nodes per chunk of the layer-wise inference after mini-batch training "
                               "(default: 65536)")
    pretrain.add_argument("--runs", type=_positive_int, help="linear-probe runs (default: 50)")
    pretrain.add_argument("--raw-features", action="store_true", default=False,
                          help="skip the row normalization of Planetoid features")
    pretrain.add_argument("--no-progress", action="store_true", default=False, help="no progress bar")
    pretrain.add_argument("--save", default=None,
                          help="encoder checkpoint file (default: SAVE_DIR/pretrain_METHOD_DATASET_seedS.encoder.pt)")
    _add_common(pretrain, library_defaults=True)
    pretrain.set_defaults(func=_pretrain)

    evaluate = subparsers.add_parser(
        "evaluate", help="linear probe of a saved node encoder (DGI protocol)",
        description="Load an encoder checkpoint written by `graphcl pretrain` and run the linear probe.")
    evaluate.add_argument("--checkpoint", required=True)
    evaluate.add_argument("--dataset", default=None, help="default: the dataset stored in the checkpoint")
    evaluate.add_argument("--runs", type=_positive_int, default=50)
    _add_common(evaluate, library_defaults=False)
    evaluate.set_defaults(func=_evaluate, features=None, labels=None)
