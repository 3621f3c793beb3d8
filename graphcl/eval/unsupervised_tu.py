"""The unsupervised TU protocol of GraphCL and JOAO: pretrain a GIN, freeze it, SVM nested cross-validation.

One call trains one method on one dataset with one seed and returns a JSON-ready record. The epoch is never
chosen on test folds: the embeddings of the final epoch are evaluated.
"""
from __future__ import annotations

import time
from typing import Any, Optional

from torch import nn

GRAPH_METHODS = ("graphcl", "joao", "joaov2")

#: Per-method training settings of the papers (TU: lr 0.01, 20 epochs; JOAOv2 lr 0.001, 40 epochs).
METHOD_DEFAULTS: dict[str, dict[str, float]] = {
    "graphcl": {"lr": 0.01, "epochs": 20},
    "joao": {"lr": 0.01, "epochs": 20},
    "joaov2": {"lr": 0.001, "epochs": 40},
}

#: Published accuracies (%) of the unsupervised TU table (GraphCL, NeurIPS 2020; JOAO, ICML 2021).
PUBLISHED_TU: dict[str, dict[str, str]] = {
    "graphcl": {"NCI1": "77.87 ± 0.41", "PROTEINS": "74.39 ± 0.45", "DD": "78.62 ± 0.40", "MUTAG": "86.80 ± 1.34",
                "COLLAB": "71.36 ± 1.15", "REDDIT-BINARY": "89.53 ± 0.84", "IMDB-BINARY": "71.14 ± 0.44"},
    "joao": {"NCI1": "78.07 ± 0.47", "PROTEINS": "74.55 ± 0.41", "DD": "77.32 ± 0.54", "MUTAG": "87.35 ± 1.02",
             "COLLAB": "69.50 ± 0.36", "REDDIT-BINARY": "85.29 ± 1.35", "IMDB-BINARY": "70.21 ± 3.08"},
    "joaov2": {"NCI1": "78.36 ± 0.53", "PROTEINS": "74.07 ± 1.10", "DD": "77.40 ± 1.15", "MUTAG": "87.67 ± 0.79",
               "COLLAB": "69.33 ± 0.34", "REDDIT-BINARY": "86.42 ± 1.45", "IMDB-BINARY": "70.83 ± 0.25"},
}


def build_graph_method(method: str, in_channels: int, hidden_channels: int = 32, num_layers: int = 3,
                       augmentation: str = "random2", p: float = 0.2, gamma: float = 0.1,
                       generator=None) -> nn.Module:
    """A :class:`GraphCL`, :class:`JOAO` or :class:`JOAOv2` on a :class:`GINEncoder` (3 x 32 by default)."""
    from graphcl.methods.graphcl_graph import GraphCL
    from graphcl.methods.joao import JOAO, JOAOv2
    from graphcl.nn.gin import GINEncoder

    encoder = GINEncoder(in_channels, hidden_channels, num_layers=num_layers)
    if method == "graphcl":
        return GraphCL(encoder, augmentation=augmentation, p=p, generator=generator)
    if method == "joao":
        return JOAO(encoder, p=p, gamma=gamma, generator=generator)
    if method == "joaov2":
        return JOAOv2(encoder, p=p, gamma=gamma, generator=generator)
    raise ValueError(f"unknown method {method!r}; choose from {GRAPH_METHODS}")


def run_unsupervised_tu(dataset_name: str, method: str = "graphcl", seed: int = 0, epochs: Optional[int] = None,
                        lr: Optional[float] = None, batch_size: int = 128, hidden_channels: int = 32,
                        num_layers: int = 3, augmentation: str = "random2", p: float = 0.2, gamma: float = 0.1,
                        classifier: str = "svc", n_splits: int = 10, device: str = "auto", root=None,
                        progress: bool = True, max_batches_per_epoch: Optional[int] = None,
                        save_encoder_to: Optional[str] = None) -> dict[str, Any]:
    """Pretrain ``method`` on a TU dataset, embed every graph with the final model, score by SVM CV.

    Returns:
        dict: ``dataset``, ``method``, ``seed``, ``config``, ``accuracy`` (mean over the outer folds),
        ``fold_std``, ``fold_accuracies``, ``best_C``, ``losses``, ``seconds_per_epoch`` (training steps),
        ``seconds_per_epoch_with_hook`` (including JOAO's loss estimation),
        ``train_seconds``, ``eval_seconds``, ``peak_memory_mb`` and, for JOAO/JOAOv2, ``aug_probs_first``,
        ``aug_probs_last``, ``aug_probs_history`` and ``pair_names``; ``encoder_path`` when
        ``save_encoder_to`` names a checkpoint file for the trained encoder (:func:`graphcl.nn.save_encoder`;
        reload it with :func:`graphcl.nn.load_encoder`).
    """
    from graphcl.data import load_tu
    from graphcl.eval.svm import embed_dataset, svm_cross_validation
    from graphcl.train import pretrain
    from graphcl.utils import peak_memory_mb, resolve_device, seed_everything

    if method not in GRAPH_METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {GRAPH_METHODS}")
    defaults = METHOD_DEFAULTS[method]
    epochs = int(defaults["epochs"] if epochs is None else epochs)
    lr = float(defaults["lr"] if lr is None else lr)
    device = resolve_device(device)
    dataset = load_tu(dataset_name, root=root)
    seed_everything(seed)
    model = build_graph_method(method, dataset.num_features, hidden_channels, num_layers, augmentation, p, gamma)
    started = time.perf_counter()
    result = pretrain(model, dataset, epochs=epochs, lr=lr, batch_size=batch_size, device=device, seed=seed,
                      progress=progress, max_batches_per_epoch=max_batches_per_epoch)
    train_seconds = time.perf_counter() - started
    started = time.perf_counter()
    embeddings, labels = embed_dataset(model, dataset, device=device)
    cv = svm_cross_validation(embeddings, labels, n_splits=n_splits, seed=seed, classifier=classifier)
    eval_seconds = time.perf_counter() - started
    config = {"epochs": epochs, "lr": lr, "batch_size": batch_size, "hidden_channels": hidden_channels,
              "num_layers": num_layers, "p": p, "classifier": classifier, "n_splits": n_splits,
              "device": str(device), "num_graphs": len(dataset), "num_features": dataset.num_features,
              "method_config": getattr(model, "config", None)}
    if method == "graphcl":
        config["augmentation"] = augmentation
    else:
        config["gamma"] = gamma
    record: dict[str, Any] = {
        "dataset": dataset_name, "method": method, "seed": seed, "config": config,
        "accuracy": cv.mean, "fold_std": cv.std, "fold_accuracies": cv.fold_accuracies,
        "best_C": [params["C"] for params in cv.best_params], "losses": result.losses,
        "seconds_per_epoch": result.seconds_per_epoch, "seconds_per_epoch_with_hook": train_seconds / max(epochs, 1),
        "train_seconds": train_seconds,
        "eval_seconds": eval_seconds, "peak_memory_mb": peak_memory_mb(device),
    }
    if save_encoder_to is not None:
        from graphcl.nn import save_encoder

        record["encoder_path"] = str(save_encoder(model.encoder, save_encoder_to, extra={
            "dataset": dataset_name, "method": method, "seed": seed, "accuracy": cv.mean, "config": config}))
    if method != "graphcl":
        history = [model.probs_history[0]] + [r["aug_probs"] for r in result.history]
        record.update({"pair_names": model.distribution.pair_names(), "aug_probs_first": history[0],
                       "aug_probs_last": history[-1], "aug_probs_history": history,
                       "pair_losses_last": result.history[-1]["pair_losses"] if result.history else None})
    return record


def _top_pairs(names: list[str], probs: list[float], k: int = 3) -> str:
    if max(probs) - min(probs) < 1e-12:
        return f"uniform ({probs[0]:.2f} each)"
    ranked = sorted(zip(probs, names), reverse=True)[:k]
    return ", ".join(f"{name} {prob:.2f}" for prob, name in ranked)


def summarize_tu(records: list[dict[str, Any]], published: Optional[dict[str, dict[str, str]]] = None) -> str:
    """Markdown summary of :func:`run_unsupervised_tu` records: mean ± std over seeds per method and dataset,
    the published number, seconds per epoch, peak memory, and JOAO's learned distribution."""
    from graphcl.utils import format_mean_std, markdown_table, mean_std

    published = PUBLISHED_TU if published is None else published
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in records:
        # a later run with the same seed replaces an earlier one
        key = (record["method"], record["dataset"])
        kept = [r for r in groups.get(key, []) if r["seed"] != record["seed"]]
        groups[key] = kept + [record]
    method_order = {name: index for index, name in enumerate(GRAPH_METHODS)}
    rows, probability_rows = [], []
    for (method, dataset), runs in sorted(groups.items(), key=lambda item: (method_order.get(item[0][0], 9),
                                                                             item[0][1])):
        runs = sorted(runs, key=lambda r: r["seed"])
        accuracies = [r["accuracy"] for r in runs]
        config = runs[0]["config"]
        rows.append([method, dataset, format_mean_std(accuracies, scale=100), len(runs),
                     published.get(method, {}).get(dataset, "n/a"),
                     f"{config['epochs']} / {config['lr']:g}",
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
    text = ["# Unsupervised TU: GIN 3 x 32, SVM (RBF, C by inner 5-fold CV) in outer 10-fold CV, final epoch\n",
            "Accuracy (%) = mean ± std over seeds of each seed's 10-fold mean accuracy.\n",
            markdown_table(["method", "dataset", "measured", "seeds", "published", "epochs / lr",
                            "s/epoch (train)", "s/epoch (incl. JOAO update)", "peak MiB", "load avg"], rows)]
    if probability_rows:
        text += ["\n## JOAO augmentation-pair distribution (first seed): top pairs before and after training\n",
                 markdown_table(["method", "dataset", "seed", "first p (top 3)", "last p (top 3)",
                                 "L1 distance of last p from uniform"], probability_rows)]
    return "\n".join(text)
