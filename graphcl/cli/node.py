"""``graphcl pretrain`` and ``graphcl evaluate``: node-level pretraining on a citation graph (DGI or
GraphCL) and the linear-probe evaluation of its frozen embeddings (the DGI protocol)."""
from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any, Optional

NODE_METHODS = ("dgi", "graphcl", "grace", "mvgrl")
METHOD_NAMES = {"dgi": "DGI", "graphcl": "GraphCL", "grace": "GRACE", "mvgrl": "MVGRL"}


def default_hidden_channels(dataset: str) -> int:
    """DGI's width: 512, but 256 on PubMed (the official setting)."""
    return 256 if dataset.lower() == "pubmed" else 512


def prepare_node_data(dataset: str, root: Optional[str] = None, normalize_features: bool = True):
    """Load a Planetoid graph; features row-normalized (to sum 1) as in DGI's and GraphCL's official code."""
    from graphcl.data import load_planetoid

    data = load_planetoid(dataset, root=root)
    if normalize_features:
        from torch_geometric.transforms import NormalizeFeatures

        data = NormalizeFeatures()(data)
    return data


def build_node_method(method: str, in_channels: int, hidden_channels: int, num_layers: int = 1,
                      augmentation: str = "subgraph", p: float = 0.2, generator=None, dataset: str = "Cora"):
    """A :class:`~graphcl.methods.DGI`, :class:`~graphcl.methods.NodeGraphCL`,
    :class:`~graphcl.methods.GRACE` (the official settings of ``dataset``; widths from there) or
    :class:`~graphcl.methods.MVGRL` (:func:`~graphcl.methods.build_mvgrl` defaults) with its paper's defaults."""
    from graphcl.methods import DGI, NodeGraphCL, build_grace, build_mvgrl

    if method == "dgi":
        return DGI(in_channels, hidden_channels, num_layers, generator=generator)
    if method == "graphcl":
        return NodeGraphCL(in_channels, hidden_channels, num_layers, augmentation=augmentation, p=p,
                           generator=generator)
    if method == "grace":
        return build_grace(in_channels, dataset, generator=generator)
    if method == "mvgrl":
        return build_mvgrl(in_channels, hidden_channels, generator=generator)
    raise ValueError(f"unknown method {method!r}; choose one of {list(NODE_METHODS)}")


def probe_record(result) -> dict[str, Any]:
    """The linear-probe numbers of a result record, in percent."""
    return {"test_mean": 100 * result.test_mean, "test_std": 100 * result.test_std,
            "val_mean": 100 * result.val_mean, "val_std": 100 * result.val_std,
            "test_accuracies": [100 * a for a in result.test_accuracies], "runs": result.runs,
            "steps": result.steps}


def run_node_pretraining(method: str = "dgi", dataset: str = "Cora", seed: int = 0, epochs: int = 10000,
                         patience: Optional[int] = 20, hidden_channels: Optional[int] = None,
                         num_layers: int = 1, lr: float = 0.001, augmentation: str = "subgraph",
                         p: float = 0.2, probe_runs: int = 50, device: str = "auto", progress: bool = True,
                         root: Optional[str] = None, normalize_features: bool = True) -> tuple[Any, dict]:
    """Pretrain a node-level method without labels, then run the DGI linear probe on its embeddings.

    Seeds everything once with ``seed``. Returns ``(method, record)``; ``record`` holds the config, the
    accuracies (percent), epochs, seconds per epoch, peak memory and :func:`graphcl.utils.environment_info`.
    """
    import torch

    from graphcl.eval import linear_probe
    from graphcl.methods import train_full_batch
    from graphcl.utils import environment_info, make_generator, peak_memory_mb, resolve_device, seed_everything

    torch_device = resolve_device(device)
    if hidden_channels is None:
        hidden_channels = default_hidden_channels(dataset)
    seed_everything(seed)
    data = prepare_node_data(dataset, root=root, normalize_features=normalize_features).to(torch_device)
    model = build_node_method(method, data.num_features, hidden_channels, num_layers, augmentation, p,
                              generator=make_generator(seed), dataset=dataset)
    model = model.to(torch_device)
    if torch_device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(torch_device)
    weight_decay, restore_best = 0.0, True
    if method == "grace":  # the official budget: fixed epochs, final model
        from graphcl.methods import grace_settings

        settings = grace_settings(dataset)
        epochs, lr, weight_decay = min(epochs, settings.epochs), settings.lr, settings.weight_decay
        patience, restore_best, hidden_channels = None, False, settings.hidden_channels
    start = time.perf_counter()
    training = train_full_batch(model, data, epochs=epochs, lr=lr, weight_decay=weight_decay, patience=patience,
                                progress=progress, restore_best=restore_best)
    train_seconds = time.perf_counter() - start
    start = time.perf_counter()
    embeddings = model.embed(data)
    probe = linear_probe(embeddings, data.y, data.train_mask, data.val_mask, data.test_mask, runs=probe_runs,
                         generator=make_generator(seed))
    probe_seconds = time.perf_counter() - start
    config = {"method": method, "dataset": dataset, "hidden_channels": hidden_channels,
              "num_layers": num_layers, "lr": lr, "weight_decay": weight_decay, "epochs_cap": epochs,
              "patience": patience, "normalize_features": normalize_features, "device": str(torch_device),
              "probe": {"runs": probe_runs, "steps": 100, "lr": 0.01, "weight_decay": 0.0}}
    if method == "graphcl":
        config.update(augmentation=augmentation, p=p, resample_views=False)
    if method in ("grace", "mvgrl"):
        config["method_config"] = model.config
    record = {"config": config, "seed": seed, "accuracy": probe_record(probe),
              "epochs_run": training.epochs, "best_epoch": training.best_epoch,
              "best_loss": training.best_loss, "stopped_early": training.stopped_early,
              "seconds_per_epoch": training.seconds_per_epoch, "train_seconds": train_seconds,
              "probe_seconds": probe_seconds, "peak_memory_mb": peak_memory_mb(torch_device),
              "environment": environment_info()}
    return model, record


def _result_path(out: str, stem: str) -> Path:
    return Path(out) / f"{stem}.json"


def _pretrain(args: argparse.Namespace) -> int:
    from graphcl.nn import save_encoder
    from graphcl.utils import atomic_write_json

    if args.save and args.method == "mvgrl":
        raise ValueError("--save stores one encoder; MVGRL's embeddings are the sum of two encoders, so it "
                         "cannot be saved this way")
    model, record = run_node_pretraining(
        method=args.method, dataset=args.dataset, seed=args.seed, epochs=args.epochs,
        patience=args.patience if args.patience > 0 else None, hidden_channels=args.hidden,
        num_layers=args.layers, lr=args.lr, augmentation=args.augmentation, p=args.p, probe_runs=args.runs,
        device=args.device, progress=not args.no_progress, root=args.root,
        normalize_features=not args.raw_features)
    accuracy = record["accuracy"]
    name = METHOD_NAMES[args.method]
    print(f"{name} on {args.dataset} (seed {args.seed}): test accuracy {accuracy['test_mean']:.2f} ± "
          f"{accuracy['test_std']:.2f} % over {accuracy['runs']} linear probes "
          f"(validation {accuracy['val_mean']:.2f} %); {record['epochs_run']} epochs, best epoch "
          f"{record['best_epoch']}, {1000 * record['seconds_per_epoch']:.1f} ms/epoch")
    if args.save:
        save_encoder(model.encoder, args.save,
                     extra={"method": args.method, "dataset": args.dataset, "seed": args.seed,
                            "normalize_features": not args.raw_features})
        record["checkpoint"] = str(args.save)
        print(f"encoder saved to {args.save}")
    path = _result_path(args.out, f"pretrain_{args.method}_{args.dataset.lower()}_seed{args.seed}")
    atomic_write_json(path, record)
    print(f"result written to {path}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from graphcl.eval import linear_probe
    from graphcl.nn import load_encoder
    from graphcl.utils import (atomic_write_json, environment_info, load_checkpoint, make_generator,
                               resolve_device)

    import torch

    device = resolve_device(args.device)
    extra = load_checkpoint(args.checkpoint).get("extra", {})
    dataset = args.dataset or extra.get("dataset")
    if dataset is None:
        raise ValueError("the checkpoint does not name its dataset; pass --dataset")
    data = prepare_node_data(dataset, root=args.root,
                             normalize_features=extra.get("normalize_features", True)).to(device)
    encoder = load_encoder(args.checkpoint, map_location=device).to(device).eval()
    if data.num_features != encoder.in_channels:
        raise ValueError(f"{dataset} has {data.num_features} features but the encoder expects "
                         f"{encoder.in_channels}")
    with torch.no_grad():
        embeddings = encoder(data.x, data.edge_index).node
    probe = linear_probe(embeddings, data.y, data.train_mask, data.val_mask, data.test_mask, runs=args.runs,
                         generator=make_generator(args.seed))
    print(f"encoder {args.checkpoint} on {dataset}: test accuracy {100 * probe.test_mean:.2f} ± "
          f"{100 * probe.test_std:.2f} % over {probe.runs} linear probes "
          f"(validation {100 * probe.val_mean:.2f} %)")
    record = {"config": {"checkpoint": str(args.checkpoint), "dataset": dataset, "checkpoint_extra": extra},
              "seed": args.seed, "accuracy": probe_record(probe), "environment": environment_info()}
    path = _result_path(args.out, f"evaluate_{Path(args.checkpoint).stem}_{dataset.lower()}_seed{args.seed}")
    atomic_write_json(path, record)
    print(f"result written to {path}")
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


# the names of graphcl.methods.NODE_AUGMENTATIONS (not imported here: building the parser stays light)
_AUGMENTATIONS = ("subgraph", "node_drop", "edge_perturb", "attr_mask", "edge_drop")


def register(subparsers) -> None:
    pretrain = subparsers.add_parser(
        "pretrain",
        help="pretrain a node encoder without labels (DGI, GraphCL, GRACE, MVGRL), run the linear probe",
        description="Pretrain DGI, node-level GraphCL, GRACE or MVGRL on a Planetoid graph (early stopping; "
                    "GRACE: its fixed official budget), then train logistic regression on the frozen "
                    "embeddings (public split, 50 runs) and report the test accuracy.")
    pretrain.add_argument("--method", choices=NODE_METHODS, default="dgi",
                          help="dgi, graphcl, grace (the official per-dataset settings: widths, views, lr, "
                               "weight decay, 200 epochs, no early stopping) or mvgrl (default: dgi)")
    pretrain.add_argument("--dataset", default="Cora", help="Cora, CiteSeer or PubMed (default: Cora)")
    pretrain.add_argument("--seed", type=int, default=0)
    pretrain.add_argument("--epochs", type=_positive_int, default=10000, help="epoch cap (default: 10000)")
    pretrain.add_argument("--patience", type=int, default=20,
                          help="early-stopping patience on the training loss; 0 disables (default: 20)")
    pretrain.add_argument("--hidden", type=_positive_int, default=None,
                          help="embedding size (default: 512; 256 on PubMed)")
    pretrain.add_argument("--layers", type=_positive_int, default=1, help="GCN layers (default: 1)")
    pretrain.add_argument("--lr", type=float, default=0.001)
    pretrain.add_argument("--augmentation", choices=_AUGMENTATIONS, default="subgraph",
                          help="GraphCL's view augmentation (default: subgraph)")
    pretrain.add_argument("--p", type=float, default=0.2, help="augmentation strength (default: 0.2)")
    pretrain.add_argument("--runs", type=_positive_int, default=50, help="linear-probe runs (default: 50)")
    pretrain.add_argument("--raw-features", action="store_true",
                          help="skip the row normalization of the features")
    pretrain.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 ... (default: auto)")
    pretrain.add_argument("--no-progress", action="store_true", help="no progress bar")
    pretrain.add_argument("--out", default="results", help="folder for the JSON result (default: results)")
    pretrain.add_argument("--save", default=None, help="write the trained encoder to this checkpoint file")
    pretrain.add_argument("--root", default=None, help="data root (default: $GRAPHCL_DATA_ROOT or ./datasets)")
    pretrain.set_defaults(func=_pretrain)

    evaluate = subparsers.add_parser(
        "evaluate", help="linear probe of a saved node encoder (DGI protocol)",
        description="Load an encoder checkpoint written by `graphcl pretrain --save` and run the linear probe.")
    evaluate.add_argument("--checkpoint", required=True)
    evaluate.add_argument("--dataset", default=None, help="default: the dataset stored in the checkpoint")
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.add_argument("--runs", type=_positive_int, default=50)
    evaluate.add_argument("--device", default="auto")
    evaluate.add_argument("--out", default="results")
    evaluate.add_argument("--root", default=None)
    evaluate.set_defaults(func=_evaluate)
