"""The unsupervised TU protocol of GraphCL and JOAO: pretrain a GIN, freeze it, SVM nested cross-validation.

One call trains one method on one dataset with one seed and returns a JSON-ready record. The epoch is never
chosen on test folds: the embeddings of the final epoch are evaluated.
"""
from __future__ import annotations

import time
from typing import Any, Optional

import torch
from torch import nn
from torch_geometric.data import Data

from graphcl.data import load_tu, with_ppr_diffusion
from graphcl.eval.svm import embed_dataset, svm_cross_validation
from graphcl.methods.mvgrl_graph import GraphMVGRL
from graphcl.methods.reference_embeddings import FeatureSum, UntrainedEncoder
from graphcl.methods.registry import method_class
from graphcl.nn import save_encoder
from graphcl.nn.gin import GINEncoder
from graphcl.nn.graph_gcn import GraphGCNEncoder
from graphcl.train import pretrain
from graphcl.utils import format_mean_std, markdown_table, mean_std, peak_memory_mb, resolve_device, seed_everything

#: Pretraining methods, then the two references without training (issue #17).
PRETRAINED_METHODS = ("graphcl", "joao", "joaov2", "infograph", "mvgrl")
REFERENCE_METHODS = ("untrained", "raw_features")
GRAPH_METHODS = PRETRAINED_METHODS + REFERENCE_METHODS

#: Per-method settings. GraphCL/JOAO: lr 0.01, 20 epochs, GIN 3 x 32 (JOAOv2 lr 0.001, 40 epochs).
#: InfoGraph: the official defaults (``arguments.py``: 5 layers x 32; README: lr 0.001; ``main.py``: 20
#: epochs, batch 128). MVGRL: the official ``train()`` defaults (4 GCN layers x 512, 40 epochs, batch 64,
#: lr 0.001). The untrained reference uses GraphCL's GIN 3 x 32. None of these was tuned here.
METHOD_DEFAULTS: dict[str, dict[str, Any]] = {
    "graphcl": {"lr": 0.01, "epochs": 20, "batch_size": 128, "hidden_channels": 32, "num_layers": 3},
    "joao": {"lr": 0.01, "epochs": 20, "batch_size": 128, "hidden_channels": 32, "num_layers": 3},
    "joaov2": {"lr": 0.001, "epochs": 40, "batch_size": 128, "hidden_channels": 32, "num_layers": 3},
    "infograph": {"lr": 0.001, "epochs": 20, "batch_size": 128, "hidden_channels": 32, "num_layers": 5},
    "mvgrl": {"lr": 0.001, "epochs": 40, "batch_size": 64, "hidden_channels": 512, "num_layers": 4},
    "untrained": {"lr": None, "epochs": 0, "batch_size": 128, "hidden_channels": 32, "num_layers": 3},
    "raw_features": {"lr": None, "epochs": 0, "batch_size": 128, "hidden_channels": None, "num_layers": None},
}

#: Published accuracies (%) of the unsupervised TU table (GraphCL, NeurIPS 2020; JOAO, ICML 2021; InfoGraph,
#: ICLR 2020 — MUTAG from its paper, the others as quoted by GraphCL; MVGRL, ICML 2020).
PUBLISHED_TU: dict[str, dict[str, str]] = {
    "graphcl": {"NCI1": "77.87 ± 0.41", "PROTEINS": "74.39 ± 0.45", "DD": "78.62 ± 0.40", "MUTAG": "86.80 ± 1.34",
                "COLLAB": "71.36 ± 1.15", "REDDIT-BINARY": "89.53 ± 0.84", "IMDB-BINARY": "71.14 ± 0.44"},
    "joao": {"NCI1": "78.07 ± 0.47", "PROTEINS": "74.55 ± 0.41", "DD": "77.32 ± 0.54", "MUTAG": "87.35 ± 1.02",
             "COLLAB": "69.50 ± 0.36", "REDDIT-BINARY": "85.29 ± 1.35", "IMDB-BINARY": "70.21 ± 3.08"},
    "joaov2": {"NCI1": "78.36 ± 0.53", "PROTEINS": "74.07 ± 1.10", "DD": "77.40 ± 1.15", "MUTAG": "87.67 ± 0.79",
               "COLLAB": "69.33 ± 0.34", "REDDIT-BINARY": "86.42 ± 1.45", "IMDB-BINARY": "70.83 ± 0.25"},
    "infograph": {"MUTAG": "89.01 ± 1.13", "PROTEINS": "74.44 ± 0.31", "NCI1": "76.20 ± 1.06",
                  "IMDB-BINARY": "73.03 ± 0.87"},
    "mvgrl": {"MUTAG": "89.7 ± 1.1", "IMDB-BINARY": "74.2 ± 0.7"},
}


def build_graph_method(method: str, in_channels: int, hidden_channels: Optional[int] = None,
                       num_layers: Optional[int] = None, augmentation: str = "random2", p: float = 0.2,
                       gamma: float = 0.1, generator=None) -> nn.Module:
    """The method ``method`` on its default encoder (:data:`METHOD_DEFAULTS` for missing sizes):
    GraphCL/JOAO/JOAOv2/InfoGraph and the untrained reference on a :class:`GINEncoder`, MVGRL on two
    :class:`GraphGCNEncoder` (adjacency and diffusion), ``raw_features`` a :class:`FeatureSum`."""
    if method not in GRAPH_METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {GRAPH_METHODS}")
    defaults = METHOD_DEFAULTS[method]
    hidden_channels = defaults["hidden_channels"] if hidden_channels is None else hidden_channels
    num_layers = defaults["num_layers"] if num_layers is None else num_layers
    if method == "raw_features":
        return FeatureSum()
    if method == "mvgrl":
        return GraphMVGRL(GraphGCNEncoder(in_channels, hidden_channels, num_layers),
                          GraphGCNEncoder(in_channels, hidden_channels, num_layers, normalize=False))
    encoder = GINEncoder(in_channels, hidden_channels, num_layers=num_layers)
    settings = {"graphcl": {"augmentation": augmentation, "p": p, "generator": generator},
                "joao": {"p": p, "gamma": gamma, "generator": generator},
                "joaov2": {"p": p, "gamma": gamma, "generator": generator},
                "infograph": {"generator": generator}}
    if method in settings:  # the class registered under the method's name (graphcl.methods.method_class)
        return method_class(method)(encoder, **settings[method])
    return UntrainedEncoder(encoder)


def mvgrl_graphs(dataset_name: str, root=None, alpha: float = 0.2) -> tuple[list[Data], str]:
    """The graphs as the official graph-level MVGRL sees them: node features = the dataset's one-hot node
    labels (if any) followed by the one-hot degree, plus the PPR diffusion (``diff_edge_index`` /
    ``diff_edge_weight``). Returns the graphs and a description of the features."""
    labelled = load_tu(dataset_name, root=root)
    degree = load_tu(dataset_name, root=root, node_features="degree")
    constant = labelled.num_features == 1 and bool((labelled._data.x == 1).all())
    graphs = []
    for with_labels, with_degree in zip(labelled, degree):
        graph = with_labels.clone()
        graph.x = with_degree.x if constant else torch.cat([with_labels.x, with_degree.x], dim=-1)
        graphs.append(graph)
    features = "one-hot degree" if constant else "one-hot node labels + one-hot degree"
    return with_ppr_diffusion(graphs, alpha=alpha), features


def run_unsupervised_tu(dataset_name: str, method: str = "graphcl", seed: int = 0, epochs: Optional[int] = None,
                        lr: Optional[float] = None, batch_size: Optional[int] = None,
                        hidden_channels: Optional[int] = None, num_layers: Optional[int] = None,
                        augmentation: str = "random2", p: float = 0.2, gamma: float = 0.1,
                        classifier: str = "svc", n_splits: int = 10, device: str = "auto", root=None,
                        progress: bool = True, max_batches_per_epoch: Optional[int] = None,
                        save_encoder_to: Optional[str] = None) -> dict[str, Any]:
    """Pretrain ``method`` on a TU dataset, embed every graph with the final model, score by SVM CV.

    ``untrained`` and ``raw_features`` skip pretraining: the randomly initialised GIN (seeded by ``seed``)
    and the per-graph sum of the input node features go through the same SVM protocol.

    Returns:
        dict: ``dataset``, ``method``, ``seed``, ``config``, ``accuracy`` (mean over the outer folds),
        ``fold_std``, ``fold_accuracies``, ``best_C``, ``inner_cv_accuracy`` (mean over the outer folds of the
        inner cross-validation accuracy at the chosen ``C``: a validation score for model selection), ``losses``, ``seconds_per_epoch`` (training steps),
        ``seconds_per_epoch_with_hook`` (including JOAO's loss estimation),
        ``train_seconds``, ``eval_seconds``, ``peak_memory_mb`` and, for JOAO/JOAOv2, ``aug_probs_first``,
        ``aug_probs_last``, ``aug_probs_history`` and ``pair_names``; ``encoder_path`` when
        ``save_encoder_to`` names a checkpoint file for the trained encoder (:func:`graphcl.nn.save_encoder`;
        reload it with :func:`graphcl.nn.load_encoder`).
    """
    if method not in GRAPH_METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {GRAPH_METHODS}")
    defaults = METHOD_DEFAULTS[method]
    epochs = int(defaults["epochs"] if epochs is None else epochs)
    lr = defaults["lr"] if lr is None else float(lr)
    batch_size = int(defaults["batch_size"] if batch_size is None else batch_size)
    hidden_channels = defaults["hidden_channels"] if hidden_channels is None else hidden_channels
    num_layers = defaults["num_layers"] if num_layers is None else num_layers
    if method in REFERENCE_METHODS and epochs:
        raise ValueError(f"{method} is a reference without training; it takes no epochs")
    device = resolve_device(device)
    if method == "mvgrl":
        graphs, features = mvgrl_graphs(dataset_name, root=root)
        num_features = graphs[0].num_features
    else:
        graphs = load_tu(dataset_name, root=root)
        num_features = graphs.num_features
        features = "node labels one-hot" if num_features > 1 else "constant 1"
    seed_everything(seed)
    model = build_graph_method(method, num_features, hidden_channels, num_layers, augmentation, p, gamma)
    started = time.perf_counter()
    losses: list[float] = []
    seconds_per_epoch = 0.0
    result = None
    if method in PRETRAINED_METHODS:
        result = pretrain(model, graphs, epochs=epochs, lr=lr, batch_size=batch_size, device=device, seed=seed,
                          progress=progress, max_batches_per_epoch=max_batches_per_epoch)
        losses, seconds_per_epoch = result.losses, result.seconds_per_epoch
    train_seconds = time.perf_counter() - started
    started = time.perf_counter()
    model.to(device)
    embeddings, labels = embed_dataset(model, graphs, device=device)
    cv = svm_cross_validation(embeddings, labels, n_splits=n_splits, seed=seed, classifier=classifier)
    eval_seconds = time.perf_counter() - started
    config = {"epochs": epochs, "lr": lr, "batch_size": batch_size, "hidden_channels": hidden_channels,
              "num_layers": num_layers, "p": p, "classifier": classifier, "n_splits": n_splits,
              "device": str(device), "num_graphs": len(graphs), "num_features": num_features,
              "features": features, "embedding_dim": int(embeddings.size(1)),
              "method_config": getattr(model, "config", None)}
    if method == "graphcl":
        config["augmentation"] = augmentation
    elif method in ("joao", "joaov2"):
        config["gamma"] = gamma
    record: dict[str, Any] = {
        "dataset": dataset_name, "method": method, "seed": seed, "config": config,
        "accuracy": cv.mean, "fold_std": cv.std, "fold_accuracies": cv.fold_accuracies,
        "best_C": [params["C"] for params in cv.best_params],
        "inner_cv_accuracy": _mean_or_none([params.get("inner_accuracy") for params in cv.best_params]),
        "losses": losses,
        "seconds_per_epoch": seconds_per_epoch, "seconds_per_epoch_with_hook": train_seconds / max(epochs, 1),
        "train_seconds": train_seconds,
        "eval_seconds": eval_seconds, "peak_memory_mb": peak_memory_mb(device),
    }
    if save_encoder_to is not None and isinstance(getattr(model, "encoder", None), nn.Module):
        record["encoder_path"] = str(save_encoder(model.encoder, save_encoder_to, extra={
            "dataset": dataset_name, "method": method, "seed": seed, "accuracy": cv.mean, "config": config}))
    if method in ("joao", "joaov2"):
        history = [model.probs_history[0]] + [r["aug_probs"] for r in result.history]
        record.update({"pair_names": model.distribution.pair_names(), "aug_probs_first": history[0],
                       "aug_probs_last": history[-1], "aug_probs_history": history,
                       "pair_losses_last": result.history[-1]["pair_losses"] if result.history else None})
    return record


def _mean_or_none(values: list[Optional[float]]) -> Optional[float]:
    return float(sum(values) / len(values)) if values and all(v is not None for v in values) else None


def _encoder_text(method: str, config: dict[str, Any]) -> str:
    if method == "raw_features":
        return f"sum of x ({config.get('embedding_dim', config.get('num_features'))} dims)"
    kind = "GCN x 2 views" if method == "mvgrl" else "GIN"
    return f"{kind} {config.get('num_layers')} x {config.get('hidden_channels')}"


def _top_pairs(names: list[str], probs: list[float], k: int = 3) -> str:
    if max(probs) - min(probs) < 1e-12:
        return f"uniform ({probs[0]:.2f} each)"
    ranked = sorted(zip(probs, names), reverse=True)[:k]
    return ", ".join(f"{name} {prob:.2f}" for prob, name in ranked)


def summarize_tu(records: list[dict[str, Any]], published: Optional[dict[str, dict[str, str]]] = None,
                 preamble: Optional[str] = None) -> str:
    """Markdown summary of :func:`run_unsupervised_tu` records: mean ± std over seeds per method, dataset and
    budget (epochs, learning rate, encoder size: runs at another budget get their own row), the published
    number, seconds per epoch, peak memory, and JOAO's learned distribution. ``preamble`` (e.g. a protocol
    card) replaces the default heading."""
    published = PUBLISHED_TU if published is None else published
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for record in records:
        config = record["config"]
        key = (record["method"], record["dataset"], config.get("epochs"), config.get("lr"),
               config.get("num_layers"), config.get("hidden_channels"))
        # a later run of the same seed at the same budget replaces an earlier one
        kept = [r for r in groups.get(key, []) if r["seed"] != record["seed"]]
        groups[key] = kept + [record]
    method_order = {name: index for index, name in enumerate(GRAPH_METHODS)}
    rows, probability_rows = [], []
    for (method, dataset, *_), runs in sorted(groups.items(), key=lambda item: (
            method_order.get(item[0][0], 9), item[0][1], str(item[0][2:]))):
        runs = sorted(runs, key=lambda r: r["seed"])
        accuracies = [r["accuracy"] for r in runs]
        config = runs[0]["config"]
        rows.append([method, dataset, format_mean_std(accuracies, scale=100), len(runs),
                     published.get(method, {}).get(dataset, "n/a"),
                     f"{config['epochs']} / {config['lr']:g}" if config.get("lr") is not None else "no training",
                     _encoder_text(method, config),
                     f"{mean_std([r['seconds_per_epoch'] for r in runs])[0]:.2f}",
                     f"{mean_std([r.get('seconds_per_epoch_with_hook', r['seconds_per_epoch']) for r in runs])[0]:.2f}",
                     f"{max(r['peak_memory_mb'] for r in runs):.0f}",
                     f"{mean_std([r['load_average'][0] for r in runs if r.get('load_average')])[0]:.1f}"])
        if "aug_probs_last" in runs[0]:
            first = runs[0]
            uniform = 1.0 / len(first["aug_probs_first"])
            distance = sum(abs(p - uniform) for p in first["aug_probs_last"])
            probability_rows.append([method, dataset, first["seed"], _top_pairs(first["pair_names"],
                                     first["aug_probs_first"]), _top_pairs(first["pair_names"],
                                     first["aug_probs_last"]), f"{distance:.2f}"])
    heading = preamble if preamble is not None else (
        "# Unsupervised TU: SVM (RBF, C by inner 5-fold CV) in outer 10-fold CV, final epoch\n\n"
        "Accuracy (%) = mean ± std over seeds of each seed's 10-fold mean accuracy.\n")
    text = [heading,
            markdown_table(["method", "dataset", "measured", "seeds", "published", "epochs / lr", "model",
                            "s/epoch (train)", "s/epoch (incl. JOAO update)", "peak MiB", "load avg"], rows)]
    if probability_rows:
        text += ["\n## JOAO augmentation-pair distribution (first seed): top pairs before and after training\n",
                 markdown_table(["method", "dataset", "seed", "first p (top 3)", "last p (top 3)",
                                 "L1 distance of last p from uniform"], probability_rows)]
    return "\n".join(text)
