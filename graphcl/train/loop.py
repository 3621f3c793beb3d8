"""The training loop of graphcl: one loop for every method with ``loss(batch)``.

Mini-batch training (graph level: a dataset or any iterable loader) and full-batch training (node level:
one :class:`~torch_geometric.data.Data`, one optimizer step per epoch) share it. It provides Adam (or a
given optimizer), a per-epoch history, early stopping on a named monitored quantity with the best state
restored, progress bars, bfloat16 autocast, atomic checkpoints every N epochs and/or every N optimizer
steps, a checkpoint on SIGTERM/SIGINT, resume that continues bitwise as an uninterrupted run on the CPU
(mid-epoch too), and DistributedDataParallel under ``torchrun`` without code changes.

Options live in :class:`TrainingOptions`; :func:`train` runs the loop, :func:`pretrain` is the same call
with the options given as keywords.
"""
from __future__ import annotations

import dataclasses
import math
import random
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np
import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DistributedSampler
from torch_geometric.data import Data

from graphcl.data.loader import graph_loader
from graphcl.train.distributed import DistributedContext, setup_distributed, teardown_distributed
from graphcl.utils import atomic_save, load_checkpoint, progress, resolve_device, seed_everything
from graphcl.utils.checks import check_positive_int

CHECKPOINT_NAME = "last.pt"
CHECKPOINT_FORMAT = 2
PRECISIONS = ("fp32", "bf16")
MONITOR_MODES = ("min", "max")

#: ``loss_fn(method, batch)`` returns the loss, or ``(loss, terms)`` with named scalar terms to record.
LossFunction = Callable[[nn.Module, Any], "Tensor | tuple[Tensor, dict[str, Tensor]]"]


@dataclass
class TrainingOptions:
    """Settings of :func:`train` (stored in every checkpoint).

    Args:
        epochs (int): total number of epochs (a resumed run continues up to this count). (default: ``100``)
        lr (float): learning rate of the default Adam. (default: ``1e-3``)
        weight_decay (float): Adam weight decay (per group when the method has ``parameter_groups``).
            (default: ``0.0``)
        batch_size (int): graphs per batch when a dataset is given. (default: ``128``)
        shuffle (bool): shuffle a given dataset each epoch. (default: ``True``)
        drop_last (bool): drop the last incomplete batch of a given dataset. (default: ``False``)
        num_workers (int): DataLoader workers for a given dataset. (default: ``0``)
        max_batches_per_epoch (int, optional): stop each epoch early (smoke runs, timing).
        grad_clip (float, optional): clip the gradient norm to this value.
        precision (str): ``"fp32"`` or ``"bf16"`` (autocast around the forward pass and the loss;
            float32 master weights). (default: ``"fp32"``)
        device (str): ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:K"``; under ``torchrun`` on CUDA each
            process uses ``cuda:LOCAL_RANK``. (default: ``"auto"``)
        seed (int, optional): seeds the data order and, once at the start of a fresh run, torch/NumPy/Python
            (per-rank offset under DDP). ``None`` leaves global RNGs alone. (default: ``None``)
        checkpoint_dir (str, optional): where ``last.pt`` is written atomically. (default: ``None``)
        checkpoint_every (int): a checkpoint every N epochs (and after the last one). (default: ``1``)
        checkpoint_steps (int, optional): also a checkpoint every N optimizer steps, mid-epoch included.
        resume (bool): continue from ``checkpoint_dir/last.pt`` when it exists. (default: ``True``)
        monitor (str, optional): key of the epoch record to select on (``"loss"``, or a key returned by
            ``evaluate``); with it the best epoch's state is kept and, with ``restore_best``, restored at
            the end. In full-batch training ``"loss"`` is the loss of the weights *before* that epoch's
            update, and those weights are kept (DGI's rule). (default: ``None``)
        monitor_mode (str): ``"min"`` or ``"max"``. (default: ``"min"``)
        patience (int, optional): stop after this many epochs without a strict improvement of
            ``monitor``. (default: ``None``: never)
        restore_best (bool): load the best state at the end. (default: ``True``)
        progress (bool): show a progress bar (rank 0 only). (default: ``True``)
        find_unused_parameters (bool): passed to DistributedDataParallel. (default: ``True``)
        handle_signals (bool): with a ``checkpoint_dir``, on SIGTERM/SIGINT finish the current step, write
            a checkpoint and raise :class:`TrainingInterrupted`. (default: ``True``)
        per_rank_loader (bool): under ``torchrun``, a given loader already yields this rank's share (it is
            never rebuilt). Otherwise a plain loader whose sampler is not a ``DistributedSampler`` is
            rebuilt over its dataset with one. (default: ``False``)
        resume_command (str, optional): the command that resumes this run, shown when interrupted.
    """

    epochs: int = 100
    lr: float = 1e-3
    weight_decay: float = 0.0
    batch_size: int = 128
    shuffle: bool = True
    drop_last: bool = False
    num_workers: int = 0
    max_batches_per_epoch: Optional[int] = None
    grad_clip: Optional[float] = None
    precision: str = "fp32"
    device: str = "auto"
    seed: Optional[int] = None
    checkpoint_dir: Optional[str] = None
    checkpoint_every: int = 1
    checkpoint_steps: Optional[int] = None
    resume: bool = True
    monitor: Optional[str] = None
    monitor_mode: str = "min"
    patience: Optional[int] = None
    restore_best: bool = True
    progress: bool = True
    find_unused_parameters: bool = True
    handle_signals: bool = True
    per_rank_loader: bool = False
    resume_command: Optional[str] = None

    def __post_init__(self) -> None:
        if isinstance(self.epochs, bool) or not isinstance(self.epochs, int) or self.epochs < 0:
            raise ValueError(f"epochs must be a non-negative int, got {self.epochs!r}")
        check_positive_int("batch_size", self.batch_size)
        check_positive_int("checkpoint_every", self.checkpoint_every)
        check_positive_int("checkpoint_steps", self.checkpoint_steps, optional=True)
        check_positive_int("max_batches_per_epoch", self.max_batches_per_epoch, optional=True)
        check_positive_int("patience", self.patience, optional=True)
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a finite number > 0, got {self.lr!r}")
        if not self.weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0, got {self.weight_decay!r}")
        if isinstance(self.num_workers, bool) or not isinstance(self.num_workers, int) or self.num_workers < 0:
            raise ValueError(f"num_workers must be a non-negative int, got {self.num_workers!r}")
        if self.grad_clip is not None and not self.grad_clip > 0:
            raise ValueError(f"grad_clip must be > 0, got {self.grad_clip!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")
        if self.monitor_mode not in MONITOR_MODES:
            raise ValueError(f"monitor_mode must be one of {MONITOR_MODES}, got {self.monitor_mode!r}")
        if self.patience is not None and self.monitor is None:
            raise ValueError("patience needs a monitored quantity (monitor='loss', for example)")
        if self.checkpoint_dir is not None:
            self.checkpoint_dir = str(self.checkpoint_dir)
        self.device = str(self.device)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class TrainingResult:
    """What :func:`train` returns.

    Attributes:
        history (list of dict): one record per epoch: ``epoch`` (1-based), ``loss`` (mean over graphs, or
            the full-batch loss), ``seconds``, ``graphs``, recorded loss terms, what ``on_epoch_end`` and
            ``evaluate`` returned.
        epochs (int): epochs completed in total (including those before a resume).
        resumed_from_epoch (int): epochs already done when this call started (0 for a fresh run).
        steps (int): optimizer steps taken in total.
        checkpoint_path (Path, optional): the last checkpoint written or read.
        world_size (int): number of processes that trained.
        best_epoch (int, optional): 1-based epoch of the best monitored value (``None`` without monitor).
        best_value (float, optional): that value.
        stopped_early (bool): whether patience ran out before the epoch cap.
    """

    history: list[dict[str, Any]] = field(default_factory=list)
    epochs: int = 0
    resumed_from_epoch: int = 0
    steps: int = 0
    checkpoint_path: Optional[Path] = None
    world_size: int = 1
    best_epoch: Optional[int] = None
    best_value: Optional[float] = None
    stopped_early: bool = False

    @property
    def losses(self) -> list[float]:
        return [record["loss"] for record in self.history]

    @property
    def seconds_per_epoch(self) -> float:
        new = self.history[self.resumed_from_epoch:]
        return float(np.mean([r["seconds"] for r in new])) if new else math.nan


#: The name used before the loop served full-batch training too.
PretrainResult = TrainingResult


class TrainingInterrupted(Exception):
    """Raised after SIGTERM/SIGINT once a checkpoint is written; the message says how to resume."""

    def __init__(self, signal_number: int, checkpoint_path: Path, epoch: int, step: int,
                 resume_command: Optional[str] = None):
        self.signal_number, self.checkpoint_path = signal_number, checkpoint_path
        self.epoch, self.step, self.resume_command = epoch, step, resume_command
        name = signal.Signals(signal_number).name
        how = (f"run the same command again: {resume_command}" if resume_command
               else "call train() again with the same options (resume=True)")
        super().__init__(f"{name} received: stopped in epoch {epoch + 1} after {step} step(s) of it; "
                         f"checkpoint written to {checkpoint_path}. To resume, {how}")

    @property
    def exit_code(self) -> int:
        return 128 + int(self.signal_number)


class _LossForward(nn.Module):
    """Routes ``forward`` to the loss so DistributedDataParallel can hook the call."""

    def __init__(self, method: nn.Module, loss_fn: Optional[LossFunction]):
        super().__init__()
        self.method = method
        self.loss_fn = loss_fn

    def forward(self, batch):  # noqa: D401
        if self.loss_fn is not None:
            return self.loss_fn(self.method, batch)
        return self.method.loss(batch)


class _SignalFlag:
    """Records SIGTERM/SIGINT instead of dying, while installed (main thread only).

    The first signal is recorded and the loop stops at the end of its step with a checkpoint; a second one
    restores the previous handlers and is delivered again, so a run blocked somewhere (a collective waiting on
    a dead rank, a stuck data worker) still dies on a second Ctrl-C or on the launcher's repeated SIGTERM.
    """

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self, enabled: bool):
        self.received: Optional[int] = None
        self.enabled = enabled and threading.current_thread() is threading.main_thread()
        self._previous: dict[int, Any] = {}

    def _handle(self, number, frame) -> None:  # noqa: ARG002
        if self.received is not None:
            self._restore()
            signal.raise_signal(number)
            return
        self.received = number

    def __enter__(self) -> "_SignalFlag":
        if self.enabled:
            for number in self.SIGNALS:
                self._previous[number] = signal.signal(number, self._handle)
        return self

    def _restore(self) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._previous = {}

    def __exit__(self, *exc) -> None:
        self._restore()


def _global_rng_state() -> dict[str, Any]:
    state = {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_global_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _rng_state(loader_generator: Optional[torch.Generator]) -> dict[str, Any]:
    return {**_global_rng_state(),
            "loader": loader_generator.get_state() if loader_generator is not None else None}


def _set_rng_state(state: dict[str, Any], loader_generator: Optional[torch.Generator],
                   include_loader: bool = True) -> None:
    _set_global_rng_state(state)
    if include_loader and loader_generator is not None and state.get("loader") is not None:
        loader_generator.set_state(state["loader"])


def _find_generators(obj: Any, prefix: str, found: dict[str, torch.Generator], seen: set[int], depth: int) -> None:
    if isinstance(obj, torch.Generator):
        if id(obj) not in seen:
            seen.add(id(obj))
            found[prefix] = obj
        return
    if depth < 0 or id(obj) in seen or isinstance(obj, (Tensor, np.ndarray, str, bytes, int, float, nn.Module)):
        return
    seen.add(id(obj))
    if isinstance(obj, (list, tuple, dict)) and len(obj) > 1000:
        return  # large tables (SMILES rows, rule lists of big sets) hold no generators
    if isinstance(obj, (list, tuple)):
        items = enumerate(obj)
    elif isinstance(obj, dict):
        items = ((key, value) for key, value in obj.items() if isinstance(key, str))
    elif hasattr(obj, "__dict__") and not isinstance(obj, type):
        items = vars(obj).items()
    else:
        return
    for key, value in items:
        _find_generators(value, f"{prefix}.{key}" if prefix else str(key), found, seen, depth - 1)


def collect_generators(method: nn.Module, *others: tuple[str, Any]) -> dict[str, torch.Generator]:
    """Every :class:`torch.Generator` a training run draws from, by a stable name.

    Searched: attributes of every submodule of ``method`` and, a few levels deep, the plain objects they
    hold (augmentations such as MoCL's substitution, lists of transforms), then ``others`` given as
    ``(name, object)`` pairs (e.g. the loader's dataset). A generator shared by several holders appears
    once, under the first name found.
    """
    found: dict[str, torch.Generator] = {}
    seen: set[int] = set()
    for module_name, module in method.named_modules():
        for key, value in vars(module).items():
            if key.startswith("_") and key != "_generator":
                continue
            _find_generators(value, f"{module_name}.{key}" if module_name else key, found, seen, 3)
    for name, obj in others:
        _find_generators(obj, name, found, seen, 3)
    return found


def _distributed_sampler(loader) -> Optional[DistributedSampler]:
    sampler = getattr(loader, "sampler", None)
    if isinstance(sampler, DistributedSampler):
        return sampler
    batch_sampler = getattr(loader, "batch_sampler", None)
    sampler = getattr(batch_sampler, "sampler", None)
    return sampler if isinstance(sampler, DistributedSampler) else None


def _is_full_batch(data) -> bool:
    return isinstance(data, Data) and not isinstance(data, torch.utils.data.Dataset)


def _build_loader(data, options: TrainingOptions, generator: Optional[torch.Generator],
                  context: DistributedContext):
    """The iterable of batches: a given loader as it is (rebuilt only to shard it under DDP), or a loader over
    a given dataset: :class:`graphcl.data.loader.InMemoryGraphLoader` (collation by index arithmetic) for an
    ``InMemoryDataset`` it supports (no transform, plain dense tensors: see
    :func:`graphcl.data.loader.supports_vectorized_collation`), PyG's ``DataLoader`` for anything else. Both draw
    the same sampler and generator, so a seeded run gets the same batches in the same order."""
    if isinstance(data, torch.utils.data.DataLoader):
        if not context.enabled or options.per_rank_loader or _distributed_sampler(data) is not None:
            return data
        batch_size = data.batch_size or options.batch_size
        data = getattr(data, "graph_dataset", data.dataset)
    elif not isinstance(data, (torch.utils.data.Dataset, list, tuple)):
        if context.enabled and not options.per_rank_loader:
            raise ValueError("under torchrun an iterable that is not a DataLoader cannot be sharded; give a "
                             "per-rank loader with per_rank_loader=True or a dataset")
        return data  # any iterable of batches, used as it is
    else:
        batch_size = options.batch_size
    if len(data) == 0:
        raise ValueError("Cannot train on an empty dataset")
    sampler = None
    shuffle = options.shuffle
    if context.enabled:
        sampler = DistributedSampler(data, num_replicas=context.world_size, rank=context.rank, shuffle=shuffle,
                                     seed=options.seed if options.seed is not None else 0,
                                     drop_last=options.drop_last)
        shuffle = False
    return graph_loader(data, batch_size=batch_size, shuffle=shuffle, sampler=sampler,
                        num_workers=options.num_workers, generator=generator if sampler is None else None,
                        drop_last=options.drop_last)


def _to_device(batch, device: torch.device):
    if isinstance(batch, (list, tuple)):
        return type(batch)(_to_device(item, device) for item in batch)
    return batch.to(device) if hasattr(batch, "to") else batch


def _batch_size(batch) -> float:
    if isinstance(batch, (list, tuple)) and batch:
        return _batch_size(batch[0])
    return float(getattr(batch, "num_graphs", 1))


def _split_output(output) -> tuple[Tensor, dict[str, Tensor]]:
    if isinstance(output, tuple):
        loss, terms = output
        return loss, dict(terms)
    return output, {}


class _BestTracker:
    """Strict improvement of a monitored value, patience count, and the best state."""

    def __init__(self, mode: str, patience: Optional[int]):
        self.mode, self.patience = mode, patience
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch: Optional[int] = None
        self.wait = 0
        self.state: Optional[dict[str, Tensor]] = None

    def update(self, value: float, epoch: int, method: nn.Module) -> bool:
        """Record ``value`` of 1-based ``epoch``; returns whether patience has run out."""
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise TypeError(f"the monitored quantity must be a number, got {type(value).__name__}")
        improved = value < self.best if self.mode == "min" else value > self.best
        if improved:
            self.best, self.best_epoch, self.wait = float(value), epoch, 0
            self.state = {key: tensor.detach().clone() for key, tensor in method.state_dict().items()}
        else:
            self.wait += 1
        return self.patience is not None and self.wait >= self.patience

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait, "state": self.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.best_epoch, self.wait = state["best"], state["best_epoch"], state["wait"]
        self.state = state["state"]


def pretrain(method: nn.Module, dataset_or_loader, epochs: int = 100, *, config: Optional[dict[str, Any]] = None,
             on_epoch: Optional[Callable[[dict[str, Any]], None]] = None, **options: Any) -> TrainingResult:
    """:func:`train` with the :class:`TrainingOptions` given as keywords (``epochs=..., lr=..., ...``)."""
    return train(method, dataset_or_loader, TrainingOptions(epochs=epochs, **options), config=config,
                 on_epoch=on_epoch)


def train(method: nn.Module, data, options: Optional[TrainingOptions] = None, *,
          optimizer: Optional[torch.optim.Optimizer] = None, loss_fn: Optional[LossFunction] = None,
          evaluate: Optional[Callable[[nn.Module], dict[str, Any]]] = None,
          config: Optional[dict[str, Any]] = None,
          on_epoch: Optional[Callable[[dict[str, Any]], None]] = None) -> TrainingResult:
    r"""Train ``method`` by minimising ``method.loss(batch)``.

    ``data`` decides the mode. A :class:`~torch_geometric.data.Data` (one graph) trains full-batch: one
    step per epoch on the whole graph. A dataset (a list or ``Dataset`` of graphs) is read by a PyG
    ``DataLoader`` (sharded by a ``DistributedSampler`` under ``torchrun``); a given ``DataLoader`` or any
    other iterable of batches is used as it is (a list of batches, e.g. ``[data, view1, view2]``, is moved
    to the device item by item). The method's randomness comes from its own generators; those the loop finds
    on the method, its augmentations and the loader's dataset (:func:`collect_generators`) are checkpointed
    with the global RNGs and the loader's generator.

    After each epoch the optional hook ``method.on_epoch_end(loader) -> dict`` runs (JOAO updates its
    augmentation distribution there), then ``evaluate(method) -> dict`` (e.g. validation accuracy); their
    numbers join the epoch's record, on which ``options.monitor`` selects. Under ``torchrun`` the loss is
    wrapped in :class:`~torch.nn.parallel.DistributedDataParallel`, buffers and ``get_extra_state`` are
    broadcast from rank 0 after the hook, and only rank 0 writes checkpoints and shows progress.

    Args:
        method (nn.Module): object with ``loss(batch) -> Tensor``; trained in place.
        data: a graph, a dataset of graphs, a ``DataLoader`` or an iterable of batches.
        options (TrainingOptions, optional): settings. (default: ``TrainingOptions()``)
        optimizer (torch.optim.Optimizer, optional): replaces the default Adam (built over
            ``method.parameter_groups(weight_decay)`` when the method has it, else its parameters).
        loss_fn (callable, optional): ``loss_fn(method, batch)`` returning the loss or ``(loss, terms)``;
            each term's epoch mean is recorded. (default: ``method.loss``)
        evaluate (callable, optional): ``evaluate(method) -> dict`` after each epoch.
        config (dict, optional): extra settings stored in the checkpoint.
        on_epoch (callable, optional): called with each epoch's record (rank 0 only).

    Returns:
        TrainingResult

    Raises:
        TrainingInterrupted: after SIGTERM/SIGINT, once the checkpoint is written.
    """
    options = options if options is not None else TrainingOptions()
    if loss_fn is None and not callable(getattr(method, "loss", None)):
        raise TypeError(f"{type(method).__name__} has no loss(batch) method")
    if isinstance(data, (list, tuple)) and len(data) == 0:
        raise ValueError("Cannot train on an empty dataset")
    device = resolve_device(options.device)
    context = setup_distributed(device)
    try:
        if context.enabled and device.type == "cuda":
            device = torch.device("cuda", context.local_rank)
            torch.cuda.set_device(device)
        loop = _Loop(method, data, options, device, context, optimizer, loss_fn, evaluate, config or {}, on_epoch)
        return loop.run()
    finally:
        teardown_distributed(context)


class _Loop:
    """One run of :func:`train` (state shared by the epoch and step code)."""

    def __init__(self, method, data, options: TrainingOptions, device, context: DistributedContext, optimizer,
                 loss_fn, evaluate, extra_config, on_epoch):
        self.method, self.options, self.device, self.context = method, options, device, context
        self.evaluate, self.on_epoch = evaluate, on_epoch
        method.to(device)
        self.full_batch = _is_full_batch(data)
        self.loader_generator: Optional[torch.Generator] = None
        if self.full_batch:
            self.graph = data.to(device)
            self.loader = None
        else:
            if isinstance(data, torch.utils.data.DataLoader):
                if not context.enabled:
                    self.loader_generator = data.generator
            elif isinstance(data, (torch.utils.data.Dataset, list, tuple)) and not context.enabled:
                self.loader_generator = torch.Generator()
                self.loader_generator.manual_seed(options.seed if options.seed is not None
                                                  else int(torch.randint(0, 2**62, (1,))))
            self.loader = _build_loader(data, options, self.loader_generator, context)
            if self.loader_generator is None:
                self.loader_generator = getattr(self.loader, "generator", None)
        self.sampler = _distributed_sampler(self.loader) if self.loader is not None else None
        if optimizer is None:
            groups = (method.parameter_groups(options.weight_decay)
                      if callable(getattr(method, "parameter_groups", None)) else method.parameters())
            optimizer = torch.optim.Adam(groups, lr=options.lr, weight_decay=options.weight_decay)
        self.optimizer = optimizer
        dataset = getattr(self.loader, "graph_dataset", getattr(self.loader, "dataset", None))
        self.generators = collect_generators(method, *([("dataset", dataset)] if dataset is not None else []))
        self.config = {"method": type(method).__name__, **options.as_dict(), "world_size": context.world_size,
                       "method_config": getattr(method, "config", None), **extra_config}
        self.path = Path(options.checkpoint_dir) / CHECKPOINT_NAME if options.checkpoint_dir is not None else None
        self.tracker = _BestTracker(options.monitor_mode, options.patience) if options.monitor else None
        self.pre_step_monitor = self.full_batch and options.monitor == "loss"
        self.model: nn.Module = _LossForward(method, loss_fn)
        if context.enabled:
            self.model = DistributedDataParallel(self.model,
                                                 device_ids=[device.index] if device.type == "cuda" else None,
                                                 find_unused_parameters=options.find_unused_parameters)
        self.result = TrainingResult(world_size=context.world_size)
        self.global_step = 0
        self.signals = _SignalFlag(options.handle_signals and self.path is not None)
        # running sums of the epoch in progress (checkpointed mid-epoch)
        self.partial: dict[str, Any] = {}
        self.epoch_rng: Optional[dict[str, Any]] = None

    # ------------------------------------------------------------------ checkpoints
    def _gathered_rng(self):
        rng = _rng_state(self.loader_generator)
        if self.context.enabled:
            gathered = [None] * self.context.world_size
            dist.all_gather_object(gathered, rng)
            return gathered
        return rng

    def _save(self, epoch: int, step_in_epoch: int) -> None:
        """Checkpoint after ``epoch`` complete epochs and ``step_in_epoch`` steps of the next one."""
        rng = self._gathered_rng()
        epoch_rng = self.epoch_rng
        if self.context.enabled and step_in_epoch:
            gathered = [None] * self.context.world_size
            dist.all_gather_object(gathered, epoch_rng)
            epoch_rng = gathered
        if self.context.is_main:
            atomic_save({"format": CHECKPOINT_FORMAT, "model": self.method.state_dict(),
                         "optimizer": self.optimizer.state_dict(), "epoch": epoch,
                         "step_in_epoch": step_in_epoch, "global_step": self.global_step,
                         "partial": self.partial if step_in_epoch else None,
                         "epoch_rng": epoch_rng if step_in_epoch else None,
                         "history": self.result.history, "rng": rng,
                         "method_generators": {k: g.get_state() for k, g in self.generators.items()},
                         "tracker": self.tracker.state_dict() if self.tracker is not None else None,
                         "config": self.config}, self.path)
        self.result.checkpoint_path = self.path

    def _rank_state(self, rng):
        if isinstance(rng, list):  # one state per rank of a distributed run
            return rng[self.context.rank] if len(rng) == self.context.world_size else None
        return None if self.context.enabled else rng

    def _resume(self) -> tuple[int, int, Optional[dict[str, Any]]]:
        """Load the checkpoint; returns (epochs done, steps done in the next epoch, RNG state to set after
        skipping those steps)."""
        state = load_checkpoint(self.path, map_location=self.device)
        held = state.get("config", {}).get("method")
        if held != self.config["method"]:
            raise ValueError(f"Checkpoint {self.path} holds a {held!r} run, not {self.config['method']!r}; "
                             f"use another checkpoint_dir or resume=False")
        self.method.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.result.history = list(state["history"])
        self.global_step = int(state.get("global_step", 0))
        saved = state.get("method_generators", {})
        missing = sorted(set(self.generators) - set(saved))
        if missing:
            raise ValueError(f"Checkpoint {self.path} lacks the state of generator(s) {missing}; the run cannot "
                             f"continue as it would have (start afresh with resume=False)")
        for name, generator in self.generators.items():
            generator.set_state(saved[name])
        if self.tracker is not None and state.get("tracker") is not None:
            self.tracker.load_state_dict(state["tracker"])
        self.result.checkpoint_path = self.path
        step_in_epoch = int(state.get("step_in_epoch", 0) or 0)
        rng = self._rank_state(state["rng"])
        if step_in_epoch:
            if self.full_batch:
                raise ValueError("a full-batch checkpoint cannot hold a partial epoch")
            self.partial = dict(state["partial"])
            epoch_rng = self._rank_state(state["epoch_rng"])
            if epoch_rng is not None:
                _set_rng_state(epoch_rng, self.loader_generator)
            return int(state["epoch"]), step_in_epoch, rng
        if rng is not None:
            _set_rng_state(rng, self.loader_generator)
        return int(state["epoch"]), 0, None

    # ------------------------------------------------------------------ steps
    def _forward(self, batch) -> tuple[Tensor, dict[str, Tensor]]:
        with torch.autocast(device_type=self.device.type, dtype=torch.bfloat16,
                            enabled=self.options.precision == "bf16"):
            loss, terms = _split_output(self.model(batch))
        return loss.float(), terms

    def _check(self, loss: Tensor, epoch: int, step: int) -> None:
        if not torch.isfinite(loss):
            raise FloatingPointError(f"Non-finite loss {loss.item()} at epoch {epoch + 1}, step {step}")

    def _update(self, loss: Tensor) -> None:
        loss.backward()
        if self.options.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(self.method.parameters(), self.options.grad_clip)
        self.optimizer.step()
        self.global_step += 1

    def _interrupted(self) -> Optional[int]:
        received = self.signals.received
        if self.context.enabled:
            flag = torch.tensor([received or 0], dtype=torch.long,
                                device=self.device if self.device.type == "cuda" else "cpu")
            dist.all_reduce(flag, op=dist.ReduceOp.MAX)
            received = int(flag) or None
        return received

    def _stop(self, number: int, epoch: int, step_in_epoch: int) -> None:
        self._save(epoch, step_in_epoch)
        raise TrainingInterrupted(number, self.path, epoch, step_in_epoch, self.options.resume_command)

    def _accumulate(self, loss: Tensor, terms: dict[str, Tensor], size: float) -> None:
        p = self.partial
        p["loss_sum"] = p["loss_sum"] + loss.detach().double() * size
        p["graphs"] = p["graphs"] + size
        for key, value in terms.items():
            p["terms"][key] = p["terms"].get(key, 0.0) + value.detach().double() * size

    def _batch_epoch(self, epoch: int, skip: int, rng_after_skip) -> dict[str, Any]:
        options = self.options
        if self.sampler is not None:
            self.sampler.set_epoch(epoch)
        if not skip:
            self.epoch_rng = _rng_state(self.loader_generator)
            zero = torch.zeros((), dtype=torch.float64, device=self.device)
            self.partial = {"loss_sum": zero, "graphs": zero.clone(), "terms": {}, "seconds": 0.0}
        else:
            self.epoch_rng = _rng_state(self.loader_generator)  # as restored from the checkpoint
        started = time.perf_counter()
        iterator = iter(self.loader)
        step = 0
        if skip:
            for _ in range(skip):  # same data order (and worker randomness) as the interrupted run
                next(iterator)
            step = skip
            if rng_after_skip is not None:
                _set_rng_state(rng_after_skip, self.loader_generator, include_loader=False)
        for batch in iterator:
            if options.max_batches_per_epoch is not None and step >= options.max_batches_per_epoch:
                break
            batch = _to_device(batch, self.device)
            self.optimizer.zero_grad(set_to_none=True)
            loss, terms = self._forward(batch)
            self._check(loss, epoch, step)
            self._update(loss)
            self._accumulate(loss, terms, _batch_size(batch))
            step += 1
            number = self._interrupted() if self.signals.enabled else None
            if number is not None:
                self.partial["seconds"] += time.perf_counter() - started
                self._stop(number, epoch, step)
            if (self.path is not None and options.checkpoint_steps is not None
                    and self.global_step % options.checkpoint_steps == 0):
                self.partial["seconds"] += time.perf_counter() - started
                started = time.perf_counter()
                self._save(epoch, step)
        p = self.partial
        loss_sum, graphs = p["loss_sum"], p["graphs"]
        term_names = sorted(p["terms"])
        if self.context.enabled:
            totals = torch.stack([loss_sum, torch.as_tensor(graphs, dtype=torch.float64, device=self.device),
                                  *[torch.as_tensor(p["terms"][k], device=self.device) for k in term_names]])
            dist.all_reduce(totals)
            loss_sum, graphs = totals[0], totals[1]
            p["terms"] = dict(zip(term_names, totals[2:]))
        graphs = float(graphs)
        record: dict[str, Any] = {"epoch": epoch + 1, "loss": float(loss_sum / max(graphs, 1.0)),
                                  "graphs": int(graphs)}
        for key in term_names:
            record[key] = float(p["terms"][key] / max(graphs, 1.0))
        record["seconds"] = p["seconds"] + time.perf_counter() - started
        return record

    # ------------------------------------------------------------------ epochs
    def run(self) -> TrainingResult:
        options, context, result = self.options, self.context, self.result
        start_epoch, skip, rng_after_skip = 0, 0, None
        if self.path is not None and options.resume and self.path.is_file():
            start_epoch, skip, rng_after_skip = self._resume()
        elif options.seed is not None:
            seed_everything(options.seed + context.rank)
        result.resumed_from_epoch = start_epoch
        show = options.progress and context.is_main
        bar = progress(range(start_epoch, options.epochs), enabled=show, desc=type(self.method).__name__,
                       unit="epoch")
        stopped = bool(self.tracker is not None and self.tracker.patience is not None
                       and self.tracker.wait >= self.tracker.patience)
        with self.signals:
            for epoch in ([] if stopped else bar):
                self.method.train()
                if self.full_batch:
                    record, stopped = self._full_batch_epoch(epoch)
                else:
                    record = self._batch_epoch(epoch, skip, rng_after_skip)
                    skip, rng_after_skip = 0, None
                if not (stopped and self.pre_step_monitor):
                    self._epoch_hooks(record)
                    if self.tracker is not None and not self.pre_step_monitor:
                        if options.monitor not in record:
                            raise KeyError(f"monitored quantity {options.monitor!r} is not in the epoch record "
                                           f"(keys: {sorted(record)}); return it from evaluate()")
                        stopped = self.tracker.update(record[options.monitor], epoch + 1, self.method)
                result.history.append(record)
                if show and hasattr(bar, "set_postfix"):
                    bar.set_postfix(loss=f"{record['loss']:.4f}", refresh=False)
                if self.on_epoch is not None and context.is_main:
                    self.on_epoch(record)
                done = epoch + 1
                if self.path is not None and (done % options.checkpoint_every == 0 or done == options.epochs
                                              or stopped):
                    self._save(done, 0)
                if stopped:
                    break
                if self.full_batch and self.signals.enabled:
                    number = self._interrupted()
                    if number is not None:
                        self._stop(number, done, 0)
        if hasattr(bar, "close"):
            bar.close()
        result.epochs = len(result.history)
        result.steps = self.global_step
        result.stopped_early = stopped
        if self.tracker is not None:
            result.best_epoch, result.best_value = self.tracker.best_epoch, self.tracker.best
            if options.restore_best and self.tracker.state is not None:
                self.method.load_state_dict(self.tracker.state)
        return result

    def _full_batch_epoch(self, epoch: int) -> tuple[dict[str, Any], bool]:
        started = time.perf_counter()
        self.optimizer.zero_grad(set_to_none=True)
        loss, terms = self._forward(self.graph)
        self._check(loss, epoch, 0)
        record: dict[str, Any] = {"epoch": epoch + 1, "loss": float(loss.detach())}
        record.update({key: float(value.detach()) for key, value in terms.items()})
        stopped = False
        if self.pre_step_monitor:
            # the loss belongs to the weights before this epoch's update: those are the ones kept
            stopped = self.tracker.update(record["loss"], epoch + 1, self.method)
        if not stopped:
            self._update(loss)
        record["seconds"] = time.perf_counter() - started
        return record, stopped

    def _epoch_hooks(self, record: dict[str, Any]) -> None:
        hook = getattr(self.method, "on_epoch_end", None)
        if callable(hook):
            extras = hook(self.loader)
            if self.context.enabled:
                _broadcast_state(self.method)
            if extras:
                record.update(extras)
        if self.evaluate is not None:
            extras = self.evaluate(self.method)
            if extras:
                record.update(extras)


def _broadcast_state(method: nn.Module) -> None:
    """Make every rank hold rank 0's buffers and extra state after ``on_epoch_end``."""
    for buffer in method.buffers():
        dist.broadcast(buffer.data, src=0)
    for module in method.modules():
        if type(module).get_extra_state is not nn.Module.get_extra_state:
            payload = [module.get_extra_state() if dist.get_rank() == 0 else None]
            dist.broadcast_object_list(payload, src=0)
            module.set_extra_state(payload[0])


def pretrain_options(**values: Any) -> TrainingOptions:
    """:class:`TrainingOptions` from keyword values, dropping ``None`` ones (library defaults apply)."""
    return TrainingOptions(**{key: value for key, value in values.items() if value is not None})


__all__ = ["TrainingOptions", "TrainingResult", "PretrainResult", "TrainingInterrupted", "train", "pretrain",
           "collect_generators", "pretrain_options", "CHECKPOINT_NAME"]

