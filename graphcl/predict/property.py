r"""Fine-tuning a molecular encoder on the user's own labelled molecules, and predicting with the result.

Classification and regression, one or several targets with missing labels (NaN, masked out of the loss and
the metrics), following chemprop's conventions (Yang et al., J. Chem. Inf. Model. 2019): regression targets
are standardized with the mean and standard deviation of the training split, the model is the one of the
epoch with the best validation score, and test metrics are reported in the targets' own units (RMSE, MAE,
R²; ROC-AUC for classification, tasks without both classes in a split skipped and counted). The encoder is
the GIN of Hu et al. (ICLR 2020), pretrained or not, with a linear head.

A trained model is a folder written atomically (:meth:`PropertyModel.save`) holding the encoder, the head,
the featurizer, the target scaling, the task names and type, the configuration and the metrics.
"""
from __future__ import annotations

import copy
import json
import math
import os
import shutil
import tempfile
import time
import warnings
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, NamedTuple, Sequence

import numpy as np
import torch
from torch import Tensor, nn
from torch_geometric.data import Batch
from torch_geometric.loader import DataLoader

from graphcl import __version__
from graphcl.data.featurizers import DEFAULT_FEATURIZER, get_featurizer
from graphcl.data.molecules import smiles_to_graphs
from graphcl.data.splits import random_split, scaffold_split
from graphcl.eval.molecules import MoleculePropertyModel, masked_bce_loss, roc_auc_per_task
from graphcl.nn.molecule_gin import MoleculeGINEncoder, load_encoder, save_encoder
from graphcl.utils import (atomic_save, atomic_write_json, atomic_write_text, evaluation_mode, load_checkpoint,
                           resolve_device)
from graphcl.utils import progress as progress_bar
from graphcl.utils.checks import check_positive_int

TASK_TYPES = ("classification", "regression")
SPLITS = ("scaffold", "random")
PRECISIONS = ("fp32", "bf16")
#: Files of a model folder.
ENCODER_FILE, MODEL_FILE, CONFIG_FILE, METRICS_FILE = "encoder.pt", "model.pt", "config.json", "metrics.json"
#: Invalid SMILES listed by line in warnings and metrics.
LISTED = 20


@dataclass
class FinetuneConfig:
    """Hyperparameters of :func:`finetune_property_model` (the transfer protocol of Hu et al., ICLR 2020).

    Args:
        hidden_channels (int): encoder width when no encoder is given. (default: ``300``)
        num_layers (int): encoder depth when no encoder is given. (default: ``5``)
        featurizer (str, optional): ``"ogb"`` or ``"hu2020"``; ``None`` takes the given encoder's, else
            ``"ogb"``. A featurizer that differs from the encoder's is an error. (default: ``None``)
        epochs (int): training epochs. (default: ``100``)
        lr (float): Adam learning rate. (default: ``1e-3``)
        batch_size (int): molecules per step. (default: ``32``)
        dropout (float): encoder dropout while fine-tuning. (default: ``0.5``)
        weight_decay (float): Adam weight decay. (default: ``0.0``)
        split (str): ``"scaffold"`` (deterministic Bemis–Murcko, 80/10/10) or ``"random"`` 80/10/10.
            (default: ``"scaffold"``)
        split_seed (int, optional): seed of the random split (default: ``seed``).
        seed (int): seeds the initialisation, the data order and dropout. (default: ``0``)
        precision (str): ``"fp32"`` or ``"bf16"`` (autocast with bfloat16; float32 weights, optimizer and
            loss; evaluation in float32). (default: ``"fp32"``)
    """

    hidden_channels: int = 300
    num_layers: int = 5
    featurizer: str | None = None
    epochs: int = 100
    lr: float = 1e-3
    batch_size: int = 32
    dropout: float = 0.5
    weight_decay: float = 0.0
    split: str = "scaffold"
    split_seed: int | None = None
    seed: int = 0
    precision: str = "fp32"

    def __post_init__(self) -> None:
        check_positive_int("hidden_channels", self.hidden_channels)
        check_positive_int("num_layers", self.num_layers)
        check_positive_int("epochs", self.epochs)
        check_positive_int("batch_size", self.batch_size)
        if self.featurizer is not None:
            get_featurizer(self.featurizer)
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must lie in [0, 1), got {self.dropout!r}")
        if self.split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {self.split!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "FinetuneConfig":
        """A config from the entries of ``values`` that are fields (others ignored), the rest defaults."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})


class Predictions(NamedTuple):
    """Predictions ``[n, tasks]`` (NaN rows where ``errors[i]`` says why the molecule was not scored)."""

    values: np.ndarray
    errors: list


class PropertyModel:
    """A fine-tuned property predictor: encoder + linear head, featurizer, target scaling, task names.

    Args:
        network (MoleculePropertyModel): encoder and head, returning ``[B, tasks]`` (logits for
            classification, standardized values for regression).
        featurizer (str): the encoder's featurizer.
        task_names (list of str): one per output.
        task_type (str): ``"classification"`` or ``"regression"``.
        target_mean, target_std (array ``[tasks]``, optional): regression scaling (training split).
        config (dict): how it was trained. metrics (dict): its scores.
    """

    def __init__(self, network: MoleculePropertyModel, featurizer: str, task_names: Sequence[str],
                 task_type: str, target_mean=None, target_std=None, config: dict | None = None,
                 metrics: dict | None = None):
        if task_type not in TASK_TYPES:
            raise ValueError(f"task_type must be one of {TASK_TYPES}, got {task_type!r}")
        self.network = network
        self.featurizer = get_featurizer(featurizer).name
        encoder_featurizer = getattr(network.encoder, "featurizer", DEFAULT_FEATURIZER)
        if encoder_featurizer != self.featurizer:
            raise ValueError(f"the encoder was built for the {encoder_featurizer!r} featurizer but the model "
                             f"declares {self.featurizer!r}")
        self.task_names = list(task_names)
        self.task_type = task_type
        if len(self.task_names) != network.head.out_features:
            raise ValueError(f"{len(self.task_names)} task names for {network.head.out_features} outputs")
        tasks = len(self.task_names)
        self.target_mean = np.zeros(tasks) if target_mean is None else np.asarray(target_mean, dtype=np.float64)
        self.target_std = np.ones(tasks) if target_std is None else np.asarray(target_std, dtype=np.float64)
        self.config = dict(config or {})
        self.metrics = dict(metrics or {})

    @property
    def encoder(self) -> nn.Module:
        return self.network.encoder

    @torch.no_grad()
    def predict(self, smiles: Sequence[str], batch_size: int = 256,
                device: str | torch.device = "cpu") -> Predictions:
        """Predict every SMILES, in order: probabilities (classification) or values in the targets' units.

        A SMILES that cannot be featurized gets a NaN row and its reason in ``errors``.
        """
        graphs, errors = smiles_to_graphs(smiles, self.featurizer)
        values = np.full((len(graphs), len(self.task_names)), np.nan)
        outputs = _forward_graphs(self.network, graphs, batch_size, device, lambda m, b: m(b))
        for index, out in outputs:
            values[index] = out.double().numpy()
        if self.task_type == "classification":
            values = 1.0 / (1.0 + np.exp(-values))
        else:
            values = values * self.target_std + self.target_mean
        return Predictions(values, errors)

    @torch.no_grad()
    def embed(self, smiles: Sequence[str], batch_size: int = 256, device: str | torch.device = "cpu"):
        """Graph embeddings of the encoder ``[n, d]`` (NaN rows for invalid SMILES) and the errors."""
        return embed_smiles(self.encoder, smiles, batch_size=batch_size, device=device)

    def save(self, save_dir: str | os.PathLike) -> Path:
        """Write the model folder: built in a temporary folder next to it, then renamed into place, so a
        crash never leaves a partial folder (an existing folder is replaced)."""
        save_dir = Path(save_dir)
        if save_dir.exists() and not save_dir.is_dir():
            raise ValueError(f"--save-dir {save_dir} exists and is not a folder")
        save_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{save_dir.name}.", suffix=".tmp", dir=save_dir.parent))
        try:
            save_encoder(self.encoder, tmp / ENCODER_FILE, extra={"featurizer": self.featurizer})
            atomic_save({"head": {k: v.detach().cpu() for k, v in self.network.head.state_dict().items()},
                         "task_names": self.task_names, "task_type": self.task_type,
                         "featurizer": self.featurizer, "target_mean": self.target_mean.tolist(),
                         "target_std": self.target_std.tolist(), "graphcl_version": __version__},
                        tmp / MODEL_FILE)
            atomic_write_json(tmp / CONFIG_FILE, json_safe(self.config))
            atomic_write_json(tmp / METRICS_FILE, json_safe(self.metrics))
            old = None
            if save_dir.exists():
                old = save_dir.with_name(f".{save_dir.name}.old-{os.getpid()}")
                os.replace(save_dir, old)
            os.replace(tmp, save_dir)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return save_dir

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.task_type}, tasks={self.task_names}, "
                f"featurizer={self.featurizer!r})")


def load_property_model(model_dir: str | os.PathLike, map_location: str | torch.device = "cpu") -> PropertyModel:
    """Load a folder written by :meth:`PropertyModel.save` (``graphcl finetune --save-dir``)."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise FileNotFoundError(f"Model folder not found: {model_dir}")
    missing = [f for f in (ENCODER_FILE, MODEL_FILE) if not (model_dir / f).is_file()]
    if missing:
        raise ValueError(f"{model_dir} is not a model folder written by `graphcl finetune --save-dir` "
                         f"(missing {missing})")
    encoder = load_encoder(model_dir / ENCODER_FILE, map_location=map_location)
    payload = load_checkpoint(model_dir / MODEL_FILE, map_location=map_location)
    encoder_featurizer = getattr(encoder, "featurizer", DEFAULT_FEATURIZER)
    if encoder_featurizer != payload["featurizer"]:
        raise ValueError(f"{model_dir}: encoder featurizer {encoder_featurizer!r} differs from the model's "
                         f"{payload['featurizer']!r}")
    network = MoleculePropertyModel(encoder, len(payload["task_names"]))
    network.head.load_state_dict(payload["head"])
    network.eval()

    def read(name):
        path = model_dir / name
        return json.loads(path.read_text()) if path.is_file() else {}

    return PropertyModel(network, payload["featurizer"], payload["task_names"], payload["task_type"],
                         payload["target_mean"], payload["target_std"], read(CONFIG_FILE), read(METRICS_FILE))


@torch.no_grad()
def embed_smiles(encoder: nn.Module, smiles: Sequence[str], featurizer: str | None = None, batch_size: int = 256,
                 device: str | torch.device = "cpu") -> tuple[np.ndarray, list]:
    """Graph embeddings of molecules, in input order, for scikit-learn and friends.

    Args:
        encoder (nn.Module): a molecular encoder (e.g. :func:`~graphcl.nn.load_encoder`); run in eval mode.
        smiles (list of str): molecules.
        featurizer (str, optional): must match the encoder's (default: the encoder's).

    Returns:
        (embeddings, errors): float32 ``[n, d]`` with NaN rows where ``errors[i]`` gives the reason.
    """
    own = getattr(encoder, "featurizer", DEFAULT_FEATURIZER)
    featurizer = check_featurizer(own, featurizer)
    graphs, errors = smiles_to_graphs(smiles, featurizer)
    width = encoder.out_channels
    out = np.full((len(graphs), width), np.nan, dtype=np.float32)
    for index, values in _forward_graphs(encoder, graphs, batch_size, device, lambda m, b: m(b).graph):
        out[index] = values.numpy()
    return out, errors


def check_featurizer(encoder_featurizer: str, requested: str | None) -> str:
    """The featurizer to use with an encoder built for ``encoder_featurizer``; a different request is an error."""
    if requested is not None and get_featurizer(requested).name != encoder_featurizer:
        raise ValueError(f"featurizer mismatch: the encoder was trained on {encoder_featurizer!r} features but "
                         f"{requested!r} was requested; use featurizer={encoder_featurizer!r} (or pretrain an "
                         f"encoder with {requested!r})")
    return encoder_featurizer


def _forward_graphs(module: nn.Module, graphs: list, batch_size: int, device, forward):
    """Yield ``(row indices, outputs on the CPU)`` for the non-``None`` graphs, batch by batch (eval mode)."""
    device = resolve_device(device)
    index = [i for i, g in enumerate(graphs) if g is not None]
    with evaluation_mode(module.to(device)):
        for start in range(0, len(index), batch_size):
            chunk = index[start:start + batch_size]
            batch = Batch.from_data_list([_strip(graphs[i]) for i in chunk]).to(device)
            with torch.no_grad():
                out = forward(module, batch).float().cpu()
            yield np.asarray(chunk, dtype=np.int64), out


def _strip(graph):
    return graph.__class__(x=graph.x, edge_index=graph.edge_index, edge_attr=graph.edge_attr)


# ---------------------------------------------------------------------------------------------------------
# Metrics


def regression_metrics(y_true, y_pred, task_names: Sequence[str]) -> dict[str, Any]:
    """RMSE, MAE and R² per task over the labelled rows, and their means over the tasks.

    Args:
        y_true (array ``[n, tasks]``): targets, NaN where missing. y_pred (array ``[n, tasks]``): predictions.
    """
    y_true, y_pred = np.asarray(y_true, np.float64), np.asarray(y_pred, np.float64)
    per_task = {}
    for k, name in enumerate(task_names):
        mask = ~np.isnan(y_true[:, k])
        t, p = y_true[mask, k], y_pred[mask, k]
        if t.size == 0:
            per_task[name] = {"rmse": math.nan, "mae": math.nan, "r2": math.nan, "n": 0}
            continue
        error = p - t
        total = float(np.sum((t - t.mean()) ** 2))
        r2 = 1.0 - float(np.sum(error ** 2)) / total if t.size > 1 and total > 0 else math.nan
        per_task[name] = {"rmse": float(np.sqrt(np.mean(error ** 2))), "mae": float(np.mean(np.abs(error))),
                          "r2": r2, "n": int(t.size)}
    out = {}
    for metric in ("rmse", "mae", "r2"):
        values = [v[metric] for v in per_task.values() if not math.isnan(v[metric])]
        out[metric] = float(np.mean(values)) if values else math.nan
    out["per_task"] = per_task
    return out


def classification_metrics(y_true, y_score, task_names: Sequence[str]) -> dict[str, Any]:
    """ROC-AUC per task (NaN labels masked); tasks without both classes are skipped and counted."""
    scores = roc_auc_per_task(y_true, y_score)
    defined = [s for s in scores if not math.isnan(s)]
    return {"roc_auc": float(np.mean(defined)) if defined else math.nan,
            "per_task": {name: {"roc_auc": s, "n": int((~np.isnan(np.asarray(y_true)[:, k])).sum())}
                         for k, (name, s) in enumerate(zip(task_names, scores))},
            "tasks_scored": len(defined), "tasks_skipped": len(scores) - len(defined)}


def masked_mse_loss(prediction: Tensor, target: Tensor) -> Tensor:
    """Mean squared error over the labelled entries of ``target`` (NaN = missing)."""
    if prediction.shape != target.shape:
        raise ValueError(f"prediction {tuple(prediction.shape)} and target {tuple(target.shape)} differ in shape")
    mask = ~torch.isnan(target)
    if not mask.any():
        return prediction.sum() * 0.0
    return nn.functional.mse_loss(prediction[mask], target[mask])


# ---------------------------------------------------------------------------------------------------------
# Fine-tuning


@dataclass
class _Data:
    graphs: list
    targets: np.ndarray  # original units, [n, tasks]
    rows: np.ndarray  # input row of each graph
    split: dict = field(default_factory=dict)


def finetune_property_model(
    smiles: Sequence[str],
    targets,
    task_type: str,
    task_names: Sequence[str] | None = None,
    encoder: nn.Module | str | os.PathLike | None = None,
    config: FinetuneConfig | None = None,
    split: dict[str, Sequence[int]] | None = None,
    lines: Sequence[int] | None = None,
    save_dir: str | os.PathLike | None = None,
    device: str | torch.device = "auto",
    progress: bool = False,
) -> PropertyModel:
    r"""Fine-tune an encoder with a linear head on labelled molecules and return the best-validation model.

    Args:
        smiles (list of str): molecules; those that cannot be featurized are skipped, counted in
            ``metrics["invalid_smiles"]`` and reported with a warning naming their lines.
        targets (array ``[n, tasks]``): labels (0/1 for classification), NaN where missing.
        task_type (str): ``"classification"`` (masked BCE, ROC-AUC) or ``"regression"`` (masked MSE on
            targets standardized with the training split's mean and std; RMSE, MAE, R² in original units).
        task_names (list of str, optional): default ``task_0, task_1, ...``.
        encoder (nn.Module or path, optional): a (pretrained) encoder or its checkpoint; copied, never
            modified. ``None`` builds a fresh :class:`~graphcl.nn.MoleculeGINEncoder` from ``config``.
        config (FinetuneConfig, optional): hyperparameters (defaults: the transfer protocol).
        split (dict, optional): ``"train"``/``"valid"``/``"test"`` row indices into ``smiles``, replacing
            ``config.split``.
        lines (list of int, optional): file line of each row, for messages (default: row number + 1).
        save_dir (str, optional): write the model folder there (see :meth:`PropertyModel.save`).

    Returns:
        PropertyModel: weights of the epoch with the best validation score (mean ROC-AUC, or mean RMSE in
        standardized units), with ``metrics`` for train, valid and test.

    Example:
        >>> model = finetune_property_model(smiles, logp[:, None], "regression", ["logp"],
        ...                                 config=FinetuneConfig(epochs=30))  # doctest: +SKIP
        >>> model.metrics["test"]["rmse"]  # doctest: +SKIP
    """
    config = config or FinetuneConfig()
    if task_type not in TASK_TYPES:
        raise ValueError(f"task_type must be one of {TASK_TYPES}, got {task_type!r}")
    smiles = list(smiles)
    targets = np.asarray(targets, dtype=np.float64)
    if targets.ndim == 1:
        targets = targets[:, None]
    if targets.ndim != 2 or targets.shape[0] != len(smiles):
        raise ValueError(f"targets must have shape [{len(smiles)}, tasks], got {targets.shape}")
    if len(smiles) == 0:
        raise ValueError("no molecules to fine-tune on")
    task_names = list(task_names) if task_names is not None else [f"task_{k}" for k in range(targets.shape[1])]
    if len(task_names) != targets.shape[1]:
        raise ValueError(f"{len(task_names)} task names for {targets.shape[1]} target columns")
    lines = list(lines) if lines is not None else [i + 1 for i in range(len(smiles))]
    _check_targets(targets, task_type, task_names, lines)
    device = resolve_device(device)

    if isinstance(encoder, (str, os.PathLike)):
        encoder_source = str(encoder)
        encoder = load_encoder(encoder)
    else:
        encoder_source = None if encoder is None else type(encoder).__name__
    default = getattr(encoder, "featurizer", DEFAULT_FEATURIZER) if encoder is not None else DEFAULT_FEATURIZER
    featurizer = check_featurizer(default, config.featurizer) if encoder is not None else \
        (config.featurizer or DEFAULT_FEATURIZER)

    graphs, errors = smiles_to_graphs(smiles, featurizer)
    invalid = [i for i, e in enumerate(errors) if e is not None]
    if invalid:
        shown = "; ".join(f"line {lines[i]}: {smiles[i]!r} ({errors[i]})" for i in invalid[:5])
        warnings.warn(f"skipped {len(invalid)} of {len(smiles)} SMILES that could not be featurized ({shown})",
                      stacklevel=2)
    unlabelled = [i for i in range(len(smiles)) if errors[i] is None and np.isnan(targets[i]).all()]
    keep = [i for i in range(len(smiles)) if errors[i] is None and not np.isnan(targets[i]).all()]
    if not keep:
        raise ValueError(f"none of the {len(smiles)} molecules has both a valid SMILES and a label")
    data = _Data([graphs[i] for i in keep], targets[keep], np.asarray(keep))
    data.split = _make_split(data, smiles, split, config)
    mean, std = _scaling(data, task_type, task_names)
    started = time.perf_counter()
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(config.seed)
        if encoder is None:
            model_encoder = MoleculeGINEncoder(hidden_channels=config.hidden_channels, num_layers=config.num_layers,
                                               featurizer=featurizer)
        else:
            model_encoder = copy.deepcopy(encoder)
        if not hasattr(model_encoder, "p"):
            raise TypeError(f"{type(model_encoder).__name__} has no dropout attribute `p`")
        model_encoder.p = config.dropout
        network = MoleculePropertyModel(model_encoder, len(task_names)).to(device)
        optimizer = torch.optim.Adam(network.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        scaled = (data.targets - mean) / std
        for graph, y in zip(data.graphs, scaled):
            graph.y = torch.tensor(y, dtype=torch.float32).view(1, -1)
        history, best_epoch = _fit(network, optimizer, data, task_type, config, device, progress)
    seconds = time.perf_counter() - started

    metrics: dict[str, Any] = {"task_type": task_type, "tasks": task_names, "best_epoch": best_epoch,
                               "selected_on": "valid " + ("ROC-AUC" if task_type == "classification" else
                                                          "RMSE (standardized, mean over tasks)")}
    for name in ("train", "valid", "test"):
        index = data.split[name]
        raw = _predict_raw(network, [data.graphs[i] for i in index], device)
        truth = data.targets[index]
        if task_type == "classification":
            metrics[name] = classification_metrics(truth, raw, task_names)
        else:
            metrics[name] = regression_metrics(truth, raw * std + mean, task_names)
    metrics["num_molecules"] = {name: len(data.split[name]) for name in ("train", "valid", "test")}
    metrics["invalid_smiles"] = {"count": len(invalid), "of": len(smiles),
                                 "lines": [lines[i] for i in invalid[:LISTED]],
                                 "reasons": [errors[i] for i in invalid[:LISTED]]}
    metrics["unlabelled_rows_skipped"] = len(unlabelled)
    metrics["seconds"] = seconds
    metrics["history"] = history
    run_config = {**asdict(config), "featurizer": featurizer, "task_type": task_type, "task_names": task_names,
                  "encoder": encoder_source, "encoder_config": dict(getattr(model_encoder, "config", {})),
                  "device": str(device), "graphcl_version": __version__}
    model = PropertyModel(network.cpu(), featurizer, task_names, task_type, mean, std, run_config, metrics)
    if save_dir is not None:
        model.save(save_dir)
    return model


def _check_targets(targets: np.ndarray, task_type: str, task_names: list, lines: list) -> None:
    if np.isinf(targets).any():
        raise ValueError("targets contain infinite values")
    if task_type == "classification":
        bad = ~np.isnan(targets) & (targets != 0) & (targets != 1)
        if bad.any():
            row, col = map(int, np.argwhere(bad)[0])
            raise ValueError(f"classification targets must be 0, 1 or empty; target {task_names[col]!r} has "
                             f"{targets[row, col]:g} on line {lines[row]} (use --task-type regression for "
                             f"continuous values)")
    for k, name in enumerate(task_names):
        if np.isnan(targets[:, k]).all():
            raise ValueError(f"target {name!r} has no label at all")


def _make_split(data: _Data, smiles: list, split, config: FinetuneConfig) -> dict:
    n = len(data.graphs)
    if split is not None:
        position = {int(row): k for k, row in enumerate(data.rows)}
        out = {}
        for name in ("train", "valid", "test"):
            if name not in split:
                raise ValueError(f"split lacks {name!r}")
            out[name] = [position[int(i)] for i in split[name] if int(i) in position]
    elif config.split == "scaffold":
        parts = scaffold_split([smiles[int(i)].strip() for i in data.rows])
        out = {k: v.tolist() for k, v in parts.items()}
    else:
        seed = config.seed if config.split_seed is None else config.split_seed
        out = {k: v.tolist() for k, v in random_split(n, (0.8, 0.1, 0.1), seed).items()}
    for name in ("train", "valid", "test"):
        if not out[name]:
            raise ValueError(f"the {name} split is empty ({n} labelled molecules); use more molecules")
    return out


def _scaling(data: _Data, task_type: str, task_names: list) -> tuple[np.ndarray, np.ndarray]:
    tasks = len(task_names)
    if task_type == "classification":
        return np.zeros(tasks), np.ones(tasks)
    train = data.targets[data.split["train"]]
    mean, std = np.zeros(tasks), np.ones(tasks)
    for k, name in enumerate(task_names):
        column = train[:, k][~np.isnan(train[:, k])]
        if column.size == 0:
            raise ValueError(f"target {name!r} has no label in the training split")
        mean[k] = column.mean()
        spread = column.std()
        std[k] = spread if spread > 0 else 1.0
    return mean, std


def _fit(network, optimizer, data: _Data, task_type: str, config: FinetuneConfig, device, show):
    train = [data.graphs[i] for i in data.split["train"]]
    valid_graphs = [data.graphs[i] for i in data.split["valid"]]
    valid_truth = np.stack([g.y.view(-1).numpy() for g in valid_graphs]).astype(np.float64)
    loader = DataLoader(train, batch_size=config.batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(config.seed))
    loss_fn = masked_bce_loss if task_type == "classification" else masked_mse_loss
    autocast = (torch.autocast(device_type=device.type, dtype=torch.bfloat16) if config.precision == "bf16"
                else nullcontext())
    history, best, best_epoch, best_state = [], -math.inf, 0, None
    for epoch in progress_bar(range(1, config.epochs + 1), enabled=show, desc="finetune", unit="epoch"):
        started = time.perf_counter()
        network.train()
        total, count = 0.0, 0
        for batch in loader:
            batch = batch.to(device)
            if batch.num_nodes < 2:
                continue  # batch norm cannot train on a single atom
            with autocast:
                output = network(batch)
            loss = loss_fn(output.float(), batch.y.view(output.shape))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * batch.num_graphs
            count += batch.num_graphs
        seconds = time.perf_counter() - started
        raw = _predict_raw(network, valid_graphs, device)
        record = {"epoch": epoch, "loss": total / max(count, 1), "seconds": seconds}
        if task_type == "classification":
            auc = classification_metrics(valid_truth, raw, [str(k) for k in range(raw.shape[1])])["roc_auc"]
            record["valid_roc_auc"] = auc
            if math.isnan(auc):  # no validation task holds both classes: select on the validation loss
                record["valid_loss"] = float(masked_bce_loss(torch.from_numpy(raw), torch.from_numpy(valid_truth)))
                score = -record["valid_loss"]
            else:
                score = auc
        else:
            record["valid_rmse_standardized"] = float(np.mean([
                np.sqrt(np.nanmean((raw[:, k] - valid_truth[:, k]) ** 2))
                for k in range(raw.shape[1]) if (~np.isnan(valid_truth[:, k])).any()]))
            score = -record["valid_rmse_standardized"]
        history.append(record)
        if score > best:
            best, best_epoch = score, epoch
            best_state = {k: v.detach().clone() for k, v in network.state_dict().items()}
    if best_state is not None:
        network.load_state_dict(best_state)
    return history, best_epoch


def _predict_raw(network, graphs: list, device) -> np.ndarray:
    out = np.zeros((len(graphs), network.head.out_features))
    for index, values in _forward_graphs(network, graphs, 256, device, lambda m, b: m(b)):
        out[index] = values.double().numpy()
    return out


def json_safe(value: Any) -> Any:
    """NaN and infinities as ``null`` (strict JSON), NumPy scalars as Python numbers."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    return value


def write_predictions(model: PropertyModel, table, out: str | os.PathLike, batch_size: int = 256,
                      device: str | torch.device = "cpu") -> tuple[Path, int]:
    """Write ``out`` (CSV, atomically): the input columns, ``<target>_pred`` per target, ``error``.

    Args:
        table (MoleculeTable): from :func:`graphcl.predict.read_molecule_table` (``with_targets=False``).

    Returns:
        (path, number of rows with an error).
    """
    import pandas as pd

    predictions = model.predict(table.smiles, batch_size=batch_size, device=device)
    frame = table.frame.copy() if table.frame is not None else pd.DataFrame({"smiles": table.smiles})
    added = [f"{name}_pred" for name in model.task_names] + ["error"]
    clash = [c for c in added if c in frame.columns]
    if clash:
        raise ValueError(f"{table.source} already has column(s) {clash}; rename them before predicting")
    for k, name in enumerate(model.task_names):
        frame[f"{name}_pred"] = predictions.values[:, k]
    frame["error"] = [e or "" for e in predictions.errors]
    path = atomic_write_text(out, frame.to_csv(index=False))
    return path, sum(e is not None for e in predictions.errors)
