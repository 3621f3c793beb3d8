r"""Molecular property prediction on top of a (pre)trained encoder: fine-tuning and linear probing.

The transfer protocol of Hu et al. (ICLR 2020), used by GraphCL (NeurIPS 2020) and JOAO (ICML 2021):
fine-tune the whole network (dropout 0.5, Adam lr 1e-3, batch 32, 100 epochs) on a MoleculeNet task with
the scaffold split, score ROC-AUC averaged over the tasks, with missing labels masked. Tasks whose labelled
part of a split holds one class only are skipped, as OGB's ``Evaluator`` does. The reported test score is
the one at the epoch of best validation ROC-AUC. MoCL (Sun et al., KDD 2021) adds the linear protocol
(frozen encoder, linear head, 50 epochs) and the semi-supervised one (fine-tune with 5 % of the labels).
"""
from __future__ import annotations

import copy
import math
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch import Tensor, nn

from graphcl.data import random_split, scaffold_split
from graphcl.utils import mean_std, progress as progress_bar, resolve_device
from graphcl.utils.checks import check_positive_int
from graphcl.utils.modes import evaluation_mode


def roc_auc_per_task(y_true, y_score) -> list[float]:
    """ROC-AUC of each column with NaN labels masked; NaN for a column without both classes.

    Args:
        y_true (array ``[n, tasks]``): 0/1 labels, NaN where missing.
        y_score (array ``[n, tasks]``): scores (logits or probabilities).
    """
    from sklearn.metrics import roc_auc_score

    y_true = _as_2d(y_true, "y_true")
    y_score = _as_2d(y_score, "y_score")
    if y_true.shape != y_score.shape:
        raise ValueError(f"y_true {y_true.shape} and y_score {y_score.shape} differ in shape")
    if not np.isfinite(y_score).all():
        raise ValueError("y_score contains NaN or infinite values")
    labelled = ~np.isnan(y_true)
    if (y_true[labelled] != 0).__and__(y_true[labelled] != 1).any():
        raise ValueError("classification labels must be 0, 1 or NaN")
    scores = []
    for task in range(y_true.shape[1]):
        mask = labelled[:, task]
        column = y_true[mask, task]
        if (column == 1).any() and (column == 0).any():
            scores.append(float(roc_auc_score(column, y_score[mask, task])))
        else:
            scores.append(math.nan)
    return scores


def roc_auc_multitask(y_true, y_score) -> float:
    """Mean ROC-AUC over the tasks that hold both classes (OGB ``Evaluator`` semantics).

    Raises:
        ValueError: when no task has both a positive and a negative label.
    """
    scores = [s for s in roc_auc_per_task(y_true, y_score) if not math.isnan(s)]
    if not scores:
        raise ValueError("No task has both positive and negative labels: ROC-AUC is undefined")
    return float(np.mean(scores))


def masked_bce_loss(logits: Tensor, y: Tensor) -> Tensor:
    """Binary cross-entropy over the labelled entries of ``y`` (NaN = missing), averaged."""
    if logits.shape != y.shape:
        raise ValueError(f"logits {tuple(logits.shape)} and labels {tuple(y.shape)} differ in shape")
    mask = ~torch.isnan(y)
    if not mask.any():
        return logits.sum() * 0.0  # batch without any label: no gradient, keeps the graph connected
    return nn.functional.binary_cross_entropy_with_logits(logits[mask], y[mask])


class MoleculePropertyModel(nn.Module):
    """An encoder followed by a linear head with one logit per task: ``[B, num_tasks]``."""

    def __init__(self, encoder: nn.Module, num_tasks: int):
        super().__init__()
        if num_tasks < 1:
            raise ValueError(f"num_tasks must be positive, got {num_tasks}")
        self.encoder = encoder
        self.head = nn.Linear(_out_channels(encoder), num_tasks)

    def reset_parameters(self) -> None:
        self.encoder.reset_parameters()
        self.head.reset_parameters()

    def forward(self, data) -> Tensor:
        return self.head(self.encoder(data).graph)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.encoder!r}, num_tasks={self.head.out_features})"


@dataclass
class TransferResult:
    """Scores of one fine-tuning or linear-probe run (ROC-AUC in [0, 1])."""

    test: float
    valid: float
    best_epoch: int
    history: list[dict[str, float]] = field(default_factory=list)
    seconds_per_epoch: float = math.nan
    train_size: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"test": self.test, "valid": self.valid, "best_epoch": self.best_epoch,
                "seconds_per_epoch": self.seconds_per_epoch, "train_size": self.train_size}


def label_fraction_split(split: dict[str, Tensor], fraction: float, seed: int = 0) -> dict[str, Tensor]:
    """Keep a random ``fraction`` of the training indices (semi-supervised protocol); valid/test unchanged."""
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"label fraction must lie in (0, 1], got {fraction}")
    train = torch.as_tensor(split["train"])
    keep = max(1, int(round(fraction * len(train))))
    order = torch.randperm(len(train), generator=torch.Generator().manual_seed(seed))
    return {**split, "train": train[order[:keep]].sort().values}


def cap_split(split: dict[str, Tensor], labels: Tensor, max_train: int | None = None,
              max_valid: int | None = None, seed: int = 0) -> dict[str, Tensor]:
    """A reduced-budget split: at most ``max_train`` training and ``max_valid`` validation molecules.

    Training molecules are drawn uniformly at random (class balance kept in expectation). The validation
    subset takes the molecules with a positive label in some task first, then fills up with random others,
    so that ROC-AUC stays defined on sparse tasks (MUV has a handful of positives per task); positives take at
    most half of the cap when there are enough others, so that both classes stay present. It only serves
    model selection. The test set is never reduced.

    Args:
        split (dict): ``"train"``, ``"valid"``, ``"test"`` index tensors.
        labels (Tensor): ``[n, tasks]`` labels of the whole dataset, NaN = missing.
        max_train (int, optional): cap on training molecules (``None``: all).
        max_valid (int, optional): cap on validation molecules (``None``: all).
        seed (int): seed of the draws (the same subset for every method compared).
    """
    for name, cap in (("max_train", max_train), ("max_valid", max_valid)):
        check_positive_int(name, cap, optional=True)
    labels = torch.as_tensor(labels)
    if labels.dim() != 2:
        raise ValueError(f"labels must have shape [n, tasks], got {tuple(labels.shape)}")
    generator = torch.Generator().manual_seed(seed)
    out = dict(split)
    train = torch.as_tensor(split["train"]).long()
    if max_train is not None and len(train) > max_train:
        out["train"] = train[torch.randperm(len(train), generator=generator)[:max_train]].sort().values
    valid = torch.as_tensor(split["valid"]).long()
    if max_valid is not None and len(valid) > max_valid:
        positive = (labels[valid] == 1).any(dim=1)
        rest = valid[~positive]
        room = max(max_valid - len(rest), min(max_valid, (max_valid + 1) // 2))
        keep = valid[positive][torch.randperm(int(positive.sum()), generator=generator)[:room]]
        fill = rest[torch.randperm(len(rest), generator=generator)[:max_valid - len(keep)]]
        out["valid"] = torch.cat([keep, fill]).sort().values
    return out


def dataset_labels(dataset) -> Tensor:
    """Labels ``[n, tasks]`` (float, NaN = missing) of a molecule dataset, in dataset order."""
    y = getattr(dataset, "y", None)
    if isinstance(y, Tensor) and y.dim() == 2 and y.size(0) == len(dataset):
        return y.float()
    return torch.cat([dataset[i].y.view(1, -1).float() for i in range(len(dataset))])


def finetune_molecules(
    encoder: nn.Module,
    dataset,
    split: dict[str, Tensor],
    epochs: int = 100,
    lr: float = 1e-3,
    batch_size: int = 32,
    p: float | None = 0.5,
    weight_decay: float = 0.0,
    seed: int = 0,
    device: str | torch.device = "auto",
    progress: bool = False,
    num_tasks: int | None = None,
    test_every_epoch: bool = False,
    precision: str = "fp32",
) -> TransferResult:
    r"""Fine-tune a copy of ``encoder`` with a linear head on ``dataset[split["train"]]``.

    The whole run happens under a forked RNG seeded with ``seed`` (initialisation of the head, data order,
    dropout), so the caller's random state is untouched and equal seeds give equal numbers on the CPU.

    Args:
        encoder (nn.Module): returns :class:`~graphcl.nn.EncoderOutput`; copied, never modified.
        dataset: graphs with ``y`` of shape ``[1, num_tasks]`` (NaN = missing label).
        split (dict): ``"train"``, ``"valid"``, ``"test"`` index tensors.
        p (float, optional): dropout set on the encoder copy (attribute ``p``); ``None`` keeps it.
        test_every_epoch (bool, optional): also score the test set after every epoch (in ``history``);
            by default it is scored once with the weights of the best validation epoch (same number).
        precision (str, optional): ``"fp32"`` or ``"bf16"`` (training forward passes under
            :func:`torch.autocast` with bfloat16; float32 weights, optimizer, loss and evaluation).
    Returns:
        TransferResult: test ROC-AUC at the epoch of best validation ROC-AUC.
    """
    _check_protocol(epochs, lr, batch_size, split)
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    device = resolve_device(device)
    num_tasks = num_tasks or _num_tasks(dataset)
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        model_encoder = copy.deepcopy(encoder)
        if p is not None:
            if not hasattr(model_encoder, "p"):
                raise TypeError(f"{type(encoder).__name__} has no dropout attribute `p`; pass p=None")
            model_encoder.p = p
        model = MoleculePropertyModel(model_encoder, num_tasks).to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
        loaders = _loaders(dataset, split, batch_size, seed)
        return _train(model, optimizer, loaders, epochs, device, progress, lambda m, b: m(b), "finetune",
                      train_size=len(split["train"]), test_every_epoch=test_every_epoch, precision=precision)


@torch.no_grad()
def embed_molecules(encoder: nn.Module, dataset, batch_size: int = 256,
                 device: str | torch.device = "auto") -> tuple[Tensor, Tensor]:
    """Graph embeddings ``[n, d]`` (encoder in eval mode) and labels ``[n, tasks]`` of a dataset."""
    from torch_geometric.loader import DataLoader

    device = resolve_device(device)
    embeddings, labels = [], []
    with evaluation_mode(encoder.to(device)):
        for batch in DataLoader(dataset, batch_size=batch_size, shuffle=False):
            batch = batch.to(device)
            embeddings.append(encoder(batch).graph.cpu())
            labels.append(batch.y.view(batch.num_graphs, -1).float().cpu())
    return torch.cat(embeddings), torch.cat(labels)


def linear_probe_molecules(
    encoder: nn.Module,
    dataset,
    split: dict[str, Tensor],
    epochs: int = 50,
    lr: float = 1e-3,
    batch_size: int = 32,
    weight_decay: float = 0.0,
    seed: int = 0,
    device: str | torch.device = "auto",
    progress: bool = False,
    embeddings: tuple[Tensor, Tensor] | None = None,
) -> TransferResult:
    """Train a linear head on frozen graph embeddings (MoCL's linear protocol); test at best validation.

    The embeddings are computed once (pass ``embeddings=embed_molecules(...)`` to share them across seeds).
    """
    from torch.utils.data import DataLoader, TensorDataset

    _check_protocol(epochs, lr, batch_size, split)
    device = resolve_device(device)
    z, y = embeddings if embeddings is not None else embed_molecules(encoder, dataset, device=device)
    if not torch.isfinite(z).all():
        raise ValueError("encoder produced non-finite embeddings")
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        head = nn.Linear(z.size(1), y.size(1)).to(device)
        optimizer = torch.optim.Adam(head.parameters(), lr=lr, weight_decay=weight_decay)
        loaders = {name: DataLoader(TensorDataset(z[idx], y[idx]), batch_size=batch_size if name == "train" else
                                    4096, shuffle=name == "train", generator=torch.Generator().manual_seed(seed))
                   for name, idx in ((k, torch.as_tensor(split[k])) for k in ("train", "valid", "test"))}
        return _train(head, optimizer, loaders, epochs, device, progress, lambda m, b: m(b[0]), "linear",
                      train_size=len(split["train"]), labels=lambda b: b[1], test_every_epoch=True)


def _train(model, optimizer, loaders, epochs, device, show, forward: Callable, desc: str, train_size: int,
           labels: Callable = lambda b: b.y, test_every_epoch: bool = False,
           precision: str = "fp32") -> TransferResult:
    """Train, keep the weights of the best validation epoch, and score the test set with those weights.

    Without ``test_every_epoch`` the test set is scored once, at the end, with the best epoch's weights
    restored: the same number as scoring it every epoch (evaluation is deterministic), for a fraction of
    the cost on large test sets (MUV, HIV)."""
    history = []
    best_valid, best_epoch, best_state, best_test = -math.inf, 0, None, math.nan
    seconds = []
    autocast = (torch.autocast(device_type=device.type, dtype=torch.bfloat16) if precision == "bf16"
                else nullcontext())
    for epoch in progress_bar(range(1, epochs + 1), enabled=show, desc=desc, unit="epoch"):
        started = time.perf_counter()
        model.train()
        total, count = 0.0, 0
        for batch in loaders["train"]:
            batch = _to(batch, device)
            if getattr(batch, "num_nodes", 2) < 2:
                continue  # batch norm cannot train on a single atom
            y = labels(batch).float()
            with autocast:
                logits = forward(model, batch).float()
            y = y.view(logits.shape)
            loss = masked_bce_loss(logits, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(y)
            count += len(y)
        seconds.append(time.perf_counter() - started)
        record = {"epoch": epoch, "loss": total / max(count, 1),
                  "valid": _score(model, loaders["valid"], device, forward, labels)}
        if test_every_epoch:
            record["test"] = _score(model, loaders["test"], device, forward, labels)
        history.append(record)
        if record["valid"] > best_valid:
            best_valid, best_epoch = record["valid"], epoch
            if test_every_epoch:
                best_test = record["test"]
            else:
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    if not test_every_epoch and best_state is not None:
        model.load_state_dict(best_state)
        best_test = _score(model, loaders["test"], device, forward, labels)
    return TransferResult(test=best_test, valid=best_valid, best_epoch=best_epoch, history=history,
                          seconds_per_epoch=float(np.mean(seconds)) if seconds else math.nan,
                          train_size=train_size)


@torch.no_grad()
def _score(model, loader, device, forward, labels) -> float:
    model.eval()
    scores, truth = [], []
    for batch in loader:
        batch = _to(batch, device)
        logits = forward(model, batch)
        scores.append(logits.cpu())
        truth.append(labels(batch).float().view(logits.shape).cpu())
    return roc_auc_multitask(torch.cat(truth).numpy(), torch.cat(scores).numpy())


def _loaders(dataset, split, batch_size, seed):
    from torch_geometric.loader import DataLoader

    out = {}
    for name in ("train", "valid", "test"):
        subset = _subset(dataset, torch.as_tensor(split[name]).long())
        # every loader has its own generator: starting an iterator over a loader without one draws from the
        # global RNG, so scoring a split would shift the dropout masks of later epochs
        out[name] = DataLoader(subset, batch_size=batch_size if name == "train" else 256, shuffle=name == "train",
                               generator=torch.Generator().manual_seed(seed))
    return out


def _subset(dataset, index: Tensor):
    from torch_geometric.data import Dataset

    if isinstance(dataset, Dataset):
        return dataset[index]
    return [dataset[int(i)] for i in index]


def _to(batch, device):
    if isinstance(batch, (list, tuple)):
        return [b.to(device) for b in batch]
    return batch.to(device)


def _check_protocol(epochs, lr, batch_size, split) -> None:
    check_positive_int("epochs", epochs)
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    check_positive_int("batch_size", batch_size)
    missing = {"train", "valid", "test"} - set(split)
    if missing:
        raise ValueError(f"split lacks {sorted(missing)} (keys must be 'train', 'valid', 'test')")
    for key in ("train", "valid", "test"):
        if len(split[key]) == 0:
            raise ValueError(f"split[{key!r}] is empty")


def _num_tasks(dataset) -> int:
    if hasattr(dataset, "num_tasks"):
        return int(dataset.num_tasks)
    return int(dataset[0].y.view(-1).numel())


def _out_channels(encoder: nn.Module) -> int:
    for name in ("out_channels", "embedding_dim", "hidden_channels"):
        value = getattr(encoder, name, None)
        if isinstance(value, int):
            return value
    raise TypeError(f"Cannot tell the embedding width of {type(encoder).__name__}: give it `out_channels`")


def _as_2d(values, name: str) -> np.ndarray:
    if isinstance(values, Tensor):
        values = values.detach().cpu().numpy()
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise ValueError(f"{name} must be 1- or 2-dimensional, got shape {array.shape}")
    return array


def summarize_seeds(results: Sequence[TransferResult]) -> dict[str, float]:
    """Mean and population std of test and valid ROC-AUC over seeds."""
    test_mean, test_std = mean_std([r.test for r in results])
    valid_mean, valid_std = mean_std([r.valid for r in results])
    return {"test_mean": test_mean, "test_std": test_std, "valid_mean": valid_mean, "valid_std": valid_std,
            "seeds": len(results)}


#: The eight MoleculeNet classification tasks of the transfer protocol.
MOLECULENET_TASKS = ("bbbp", "tox21", "toxcast", "sider", "clintox", "muv", "hiv", "bace")
PROTOCOLS = ("finetune", "linear")
#: Training precisions: float32, or bfloat16 autocast with float32 master weights.
PRECISIONS = ("fp32", "bf16")


def task_split(dataset, split: str = "scaffold", seed: int = 0) -> dict[str, Tensor]:
    """The split of a MoleculeNet dataset: ``"scaffold"`` (transfer protocol, deterministic) or
    ``"random"`` 80/10/10 with ``seed`` (MoCL's protocol)."""
    if split == "scaffold":
        smiles = [dataset[i].smiles for i in range(len(dataset))] if not hasattr(dataset, "smiles") else \
            list(dataset.smiles)
        return scaffold_split(smiles, frac_train=0.8, frac_valid=0.1, frac_test=0.1)
    if split == "random":
        return random_split(len(dataset), (0.8, 0.1, 0.1), seed)
    raise ValueError(f"split must be 'scaffold' or 'random', got {split!r}")


def evaluate_on_task(
    encoder: nn.Module | Callable[[int], nn.Module],
    dataset,
    split: dict[str, Tensor],
    seeds: Sequence[int] = (0,),
    protocol: str = "finetune",
    epochs: int | None = None,
    lr: float = 1e-3,
    batch_size: int = 32,
    p: float | None = 0.5,
    label_fraction: float = 1.0,
    device: str | torch.device = "auto",
    progress: bool = False,
    precision: str = "fp32",
) -> list[TransferResult]:
    """Run one protocol on one task for several seeds.

    Args:
        encoder: a (pretrained) encoder, copied per run, or ``seed -> encoder`` (e.g. a fresh random
            initialisation for the no-pretraining baseline).
        protocol (str): ``"finetune"`` (whole network; default 100 epochs) or ``"linear"`` (frozen encoder;
            default 50 epochs).
        label_fraction (float): share of the training labels kept (MoCL's semi-supervised protocol: 0.05),
            drawn per seed.
        precision (str): ``"fp32"`` or ``"bf16"`` for fine-tuning (see :func:`finetune_molecules`).
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
    epochs = epochs if epochs is not None else (100 if protocol == "finetune" else 50)
    results = []
    cached = None
    for seed in seeds:
        model = encoder(int(seed)) if callable(encoder) and not isinstance(encoder, nn.Module) else encoder
        run_split = label_fraction_split(split, label_fraction, seed) if label_fraction < 1.0 else split
        if protocol == "finetune":
            results.append(finetune_molecules(model, dataset, run_split, epochs=epochs, lr=lr,
                                              batch_size=batch_size, p=p, seed=int(seed), device=device,
                                              progress=progress, precision=precision))
        else:
            embeddings = cached if isinstance(encoder, nn.Module) and cached is not None else \
                embed_molecules(model, dataset, device=device)
            cached = embeddings
            results.append(linear_probe_molecules(model, dataset, run_split, epochs=epochs, lr=lr,
                                                  batch_size=batch_size, seed=int(seed), device=device,
                                                  progress=progress, embeddings=embeddings))
    return results


def random_encoder_factory(cls: type, **config) -> Callable[[int], nn.Module]:
    """``seed -> cls(**config)`` initialised under ``seed`` without touching the global RNG
    (the no-pretraining baseline)."""

    def make(seed: int) -> nn.Module:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return cls(**config)

    return make
