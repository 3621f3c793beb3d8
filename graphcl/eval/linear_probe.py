r"""Linear evaluation of frozen node embeddings, the protocol of Deep Graph Infomax
(Veličković et al., ICLR 2019, https://arxiv.org/abs/1809.10341).

A logistic-regression classifier (one linear layer, Glorot-initialized, zero bias) is trained on the
training nodes with Adam (learning rate 0.01, no weight decay) for 100 full-batch steps, and evaluated on
the test nodes; this is repeated 50 times from fresh initializations and the mean ± standard deviation of
the test accuracy is reported. The 50 classifiers are trained at once as one batched weight tensor:
Adam's update is element-wise, so this equals 50 separate runs.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from graphcl.utils.checks import check_positive_int


@dataclass
class LinearProbeResult:
    """Accuracies (fractions in [0, 1]) of the ``runs`` classifiers.

    ``test_std``/``val_std`` are sample standard deviations, as DGI's code reports them.
    """

    test_mean: float
    test_std: float
    val_mean: float
    val_std: float
    test_accuracies: list[float] = field(default_factory=list)
    val_accuracies: list[float] = field(default_factory=list)
    runs: int = 50
    steps: int = 100

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return (f"test accuracy {100 * self.test_mean:.2f} ± {100 * self.test_std:.2f} "
                f"(validation {100 * self.val_mean:.2f} ± {100 * self.val_std:.2f}, {self.runs} runs)")


def _mask_to_index(mask: Tensor, num_nodes: int, name: str) -> Tensor:
    if not isinstance(mask, Tensor):
        raise TypeError(f"{name} must be a tensor (boolean mask or index), got {type(mask).__name__}")
    if mask.dtype == torch.bool:
        if mask.numel() != num_nodes:
            raise ValueError(f"{name} has {mask.numel()} entries for {num_nodes} nodes")
        index = mask.nonzero().view(-1)
    else:
        index = mask.view(-1).long()
        if index.numel() and (int(index.min()) < 0 or int(index.max()) >= num_nodes):
            raise ValueError(f"{name} refers to nodes outside [0, {num_nodes})")
    return index


def _std(values: Tensor) -> float:
    return float(values.std()) if values.numel() > 1 else 0.0


def linear_probe(embeddings: Tensor, y: Tensor, train_mask: Tensor, val_mask: Optional[Tensor],
                 test_mask: Tensor, runs: int = 50, steps: int = 100, lr: float = 0.01,
                 weight_decay: float = 0.0, generator: Optional[torch.Generator] = None) -> LinearProbeResult:
    """Logistic regression on frozen embeddings, repeated ``runs`` times (DGI protocol).

    Args:
        embeddings (Tensor): node embeddings ``[N, d]`` (detached).
        y (Tensor): class of every node ``[N]``.
        train_mask (Tensor): boolean mask ``[N]`` or node indices of the training nodes.
        val_mask (Tensor, optional): validation nodes (``None`` skips validation accuracy).
        test_mask (Tensor): test nodes.
        runs (int, optional): classifiers trained from independent initializations. (default: :obj:`50`)
        steps (int, optional): full-batch Adam steps per classifier. (default: :obj:`100`)
        lr (float, optional): Adam learning rate. (default: :obj:`0.01`)
        weight_decay (float, optional): Adam weight decay. (default: :obj:`0.0`)
        generator (torch.Generator, optional): draws the initializations (on the CPU).

    Returns:
        LinearProbeResult

    Raises:
        ValueError: mismatched sizes, empty train/test sets, non-finite embeddings, bad hyperparameters.
    """
    if not isinstance(embeddings, Tensor) or embeddings.dim() != 2:
        raise ValueError("embeddings must be a 2-D tensor [num_nodes, channels]")
    num_nodes, channels = embeddings.shape
    if y.dim() != 1 or y.numel() != num_nodes:
        raise ValueError(f"y must have shape [{num_nodes}], got {tuple(y.shape)}")
    for name, value in (("runs", runs), ("steps", steps)):
        check_positive_int(name, value)
    if not (lr > 0 and math.isfinite(lr)) or weight_decay < 0:
        raise ValueError(f"need lr > 0 and weight_decay >= 0, got lr={lr}, weight_decay={weight_decay}")
    embeddings = embeddings.detach().float()
    if not bool(torch.isfinite(embeddings).all()):
        raise ValueError("embeddings contain NaN or infinite values")
    train = _mask_to_index(train_mask, num_nodes, "train_mask")
    test = _mask_to_index(test_mask, num_nodes, "test_mask")
    val = _mask_to_index(val_mask, num_nodes, "val_mask") if val_mask is not None else None
    if train.numel() == 0 or test.numel() == 0:
        raise ValueError("the training and test sets must not be empty")
    y = y.to(embeddings.device).long()
    num_classes = int(y.max()) + 1

    # Glorot-uniform weights per run, drawn on the CPU so that the same generator serves any device
    bound = math.sqrt(6.0 / (channels + num_classes))
    weight = (torch.rand(runs, channels, num_classes, generator=generator) * 2 - 1) * bound
    weight = weight.to(embeddings.device).requires_grad_()
    bias = torch.zeros(runs, 1, num_classes, device=embeddings.device, requires_grad=True)
    optimizer = torch.optim.Adam([weight, bias], lr=lr, weight_decay=weight_decay)
    x_train, y_train = embeddings[train], y[train]
    with torch.enable_grad():
        for _ in range(steps):
            optimizer.zero_grad(set_to_none=True)
            logits = torch.matmul(x_train, weight) + bias  # [runs, n_train, C]
            # sum over runs of each run's mean cross-entropy: every run gets its own gradient
            loss = F.cross_entropy(logits.reshape(-1, num_classes), y_train.repeat(runs), reduction="sum")
            (loss / x_train.size(0)).backward()
            optimizer.step()

    @torch.no_grad()
    def accuracy(index: Tensor) -> Tensor:
        predictions = (torch.matmul(embeddings[index], weight) + bias).argmax(dim=-1)  # [runs, n]
        return (predictions == y[index]).float().mean(dim=1).cpu()

    test_acc = accuracy(test)
    val_acc = accuracy(val) if val is not None and val.numel() else torch.full((runs,), math.nan)
    return LinearProbeResult(test_mean=float(test_acc.mean()), test_std=_std(test_acc),
                             val_mean=float(val_acc.mean()), val_std=_std(val_acc),
                             test_accuracies=test_acc.tolist(), val_accuracies=val_acc.tolist(),
                             runs=runs, steps=steps)
