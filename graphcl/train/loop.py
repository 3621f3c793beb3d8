"""A generic pretraining loop for any method with ``loss(batch)``.

Adam, per-epoch loss history, an optional progress bar, atomic checkpoints every N epochs, resume from
the last checkpoint (bitwise-identical continuation on the CPU) and DistributedDataParallel under
``torchrun`` without code changes.
"""
from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np
import torch
from torch import nn

from graphcl.train.distributed import DistributedContext, setup_distributed, teardown_distributed
from graphcl.utils import atomic_save, load_checkpoint, progress, resolve_device
from graphcl.utils.checks import check_positive_int

CHECKPOINT_NAME = "last.pt"
CHECKPOINT_FORMAT = 1


@dataclass
class PretrainResult:
    """What :func:`pretrain` returns.

    Attributes:
        history (list of dict): one record per epoch: ``epoch`` (1-based), ``loss`` (mean over graphs),
            ``seconds``, ``graphs`` and whatever ``on_epoch_end`` returned.
        epochs (int): epochs completed in total (including those before a resume).
        resumed_from_epoch (int): epochs already done when this call started (0 for a fresh run).
        checkpoint_path (Path, optional): the last checkpoint written or read.
        world_size (int): number of processes that trained.
    """

    history: list[dict[str, Any]] = field(default_factory=list)
    epochs: int = 0
    resumed_from_epoch: int = 0
    checkpoint_path: Optional[Path] = None
    world_size: int = 1

    @property
    def losses(self) -> list[float]:
        return [record["loss"] for record in self.history]

    @property
    def seconds_per_epoch(self) -> float:
        new = self.history[self.resumed_from_epoch:]
        return float(np.mean([r["seconds"] for r in new])) if new else math.nan


class _LossForward(nn.Module):
    """Routes ``forward`` to ``method.loss`` so DistributedDataParallel can hook the call."""

    def __init__(self, method: nn.Module):
        super().__init__()
        self.method = method

    def forward(self, batch):  # noqa: D401
        return self.method.loss(batch)


def _rng_state(loader_generator: Optional[torch.Generator]) -> dict[str, Any]:
    state = {
        "torch": torch.get_rng_state(),
        "numpy": np.random.get_state(),
        "python": random.getstate(),
        "loader": loader_generator.get_state() if loader_generator is not None else None,
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any], loader_generator: Optional[torch.Generator]) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    if loader_generator is not None and state.get("loader") is not None:
        loader_generator.set_state(state["loader"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _method_generators(method: nn.Module) -> dict[str, torch.Generator]:
    """Generators a method keeps as attributes (their state is checkpointed too)."""
    found = {}
    for module_name, module in method.named_modules():
        for key, value in vars(module).items():
            if isinstance(value, torch.Generator):
                found[f"{module_name}.{key}" if module_name else key] = value
    return found


def _build_loader(data, batch_size: int, shuffle: bool, num_workers: int, generator: Optional[torch.Generator],
                  context: DistributedContext, drop_last: bool, seed: int):
    from torch.utils.data import DistributedSampler
    from torch_geometric.loader import DataLoader

    if isinstance(data, torch.utils.data.DataLoader):
        if not context.enabled:
            return data, None
        if isinstance(data.sampler, DistributedSampler):  # already sharded by the caller (e.g. node batches)
            return data, data.sampler
        # each rank needs its own shard: rebuild the loader over the same dataset
        batch_size = data.batch_size or batch_size
        data = data.dataset
    if len(data) == 0:
        raise ValueError("Cannot pretrain on an empty dataset")
    sampler = None
    if context.enabled:
        sampler = DistributedSampler(data, num_replicas=context.world_size, rank=context.rank,
                                     shuffle=shuffle, seed=seed, drop_last=drop_last)
        shuffle = False
    loader = DataLoader(data, batch_size=batch_size, shuffle=shuffle, sampler=sampler, num_workers=num_workers,
                        generator=generator if sampler is None else None, drop_last=drop_last)
    return loader, sampler


def pretrain(
    method: nn.Module,
    dataset_or_loader,
    epochs: int,
    lr: float = 1e-3,
    batch_size: int = 128,
    device: str | torch.device = "auto",
    checkpoint_dir: str | Path | None = None,
    checkpoint_every: int = 1,
    resume: bool = True,
    progress: bool = True,
    seed: Optional[int] = None,
    weight_decay: float = 0.0,
    shuffle: bool = True,
    drop_last: bool = False,
    num_workers: int = 0,
    max_batches_per_epoch: Optional[int] = None,
    grad_clip: Optional[float] = None,
    find_unused_parameters: bool = True,
    config: Optional[dict[str, Any]] = None,
    on_epoch: Optional[Callable[[dict[str, Any]], None]] = None,
) -> PretrainResult:
    r"""Train ``method`` by minimising ``method.loss(batch)`` with Adam.

    Works for every method of the package (GraphCL, JOAO, MoCL, DGI, ...). After each epoch the optional
    hook ``method.on_epoch_end(loader) -> dict`` runs (JOAO updates its augmentation distribution there) and
    its numbers join the epoch's record. Under ``torchrun`` the method is wrapped in
    :class:`~torch.nn.parallel.DistributedDataParallel`, each process reads its shard through a
    :class:`~torch.utils.data.DistributedSampler`, buffers and ``get_extra_state`` are broadcast from rank 0
    after the hook, and only rank 0 writes checkpoints and shows progress.

    Args:
        method (nn.Module): object with ``loss(batch) -> Tensor``; trained in place.
        dataset_or_loader: a dataset of :class:`~torch_geometric.data.Data` or a PyG ``DataLoader``.
        epochs (int): total number of epochs (a resumed run continues up to this count).
        lr (float, optional): Adam learning rate. (default: ``1e-3``)
        batch_size (int, optional): graphs per batch when a dataset is given. (default: ``128``)
        device (str, optional): ``"auto"``, ``"cpu"`` or ``"cuda"``; under ``torchrun`` on CUDA each process
            uses ``cuda:LOCAL_RANK``. (default: ``"auto"``)
        checkpoint_dir (str or Path, optional): where ``last.pt`` is written atomically (model, optimizer,
            epoch, history, RNG states, config). (default: ``None``: no checkpoints)
        checkpoint_every (int, optional): write a checkpoint every N epochs (and after the last one).
        resume (bool, optional): continue from ``checkpoint_dir/last.pt`` when it exists. (default: ``True``)
        progress (bool, optional): show a progress bar. (default: ``True``)
        seed (int, optional): seeds the data order and, once at the start of a fresh run, torch/NumPy/Python
            (per-rank offset under DDP so ranks draw different augmentations). ``None`` leaves global RNGs
            alone. (default: ``None``)
        weight_decay (float, optional): Adam weight decay. (default: ``0.0``)
        max_batches_per_epoch (int, optional): stop each epoch early (smoke runs, timing).
        grad_clip (float, optional): clip the gradient norm to this value.
        config (dict, optional): extra settings stored in the checkpoint.
        on_epoch (callable, optional): called with each epoch's record (rank 0 only).

    Returns:
        PretrainResult
    """
    if not callable(getattr(method, "loss", None)):
        raise TypeError(f"{type(method).__name__} has no loss(batch) method")
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative int, got {epochs!r}")
    check_positive_int("batch_size", batch_size)
    check_positive_int("checkpoint_every", checkpoint_every)
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")

    device = resolve_device(device)
    context = setup_distributed(device)
    try:
        if context.enabled and device.type == "cuda":
            device = torch.device("cuda", context.local_rank)
            torch.cuda.set_device(device)
        return _pretrain(method, dataset_or_loader, epochs, lr, batch_size, device, checkpoint_dir,
                         checkpoint_every, resume, progress, seed, weight_decay, shuffle, drop_last, num_workers,
                         max_batches_per_epoch, grad_clip, find_unused_parameters, config or {}, on_epoch, context)
    finally:
        teardown_distributed(context)


def _pretrain(method, data, epochs, lr, batch_size, device, checkpoint_dir, checkpoint_every, resume,
              show_progress, seed, weight_decay, shuffle, drop_last, num_workers, max_batches, grad_clip,
              find_unused_parameters, extra_config, on_epoch, context: DistributedContext) -> PretrainResult:
    import torch.distributed as dist

    method.to(device)
    loader_generator = None
    if not isinstance(data, torch.utils.data.DataLoader) and not context.enabled:
        loader_generator = torch.Generator()
        loader_generator.manual_seed(seed if seed is not None else int(torch.randint(0, 2**62, (1,))))
    elif isinstance(data, torch.utils.data.DataLoader) and not context.enabled:
        loader_generator = data.generator
    loader, sampler = _build_loader(data, batch_size, shuffle, num_workers, loader_generator, context,
                                    drop_last, seed if seed is not None else 0)
    optimizer = torch.optim.Adam(method.parameters(), lr=lr, weight_decay=weight_decay)
    generators = _method_generators(method)
    config = {"method": type(method).__name__, "lr": lr, "batch_size": batch_size, "epochs": epochs,
              "weight_decay": weight_decay, "seed": seed, "world_size": context.world_size,
              "method_config": getattr(method, "config", None), **extra_config}

    result = PretrainResult(world_size=context.world_size)
    start_epoch = 0
    path = Path(checkpoint_dir) / CHECKPOINT_NAME if checkpoint_dir is not None else None
    if path is not None and resume and path.is_file():
        state = load_checkpoint(path, map_location=device)
        if state.get("config", {}).get("method") != config["method"]:
            raise ValueError(f"Checkpoint {path} holds a {state.get('config', {}).get('method')!r} run, "
                             f"not {config['method']!r}; use another checkpoint_dir or resume=False")
        method.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        start_epoch = int(state["epoch"])
        result.history = list(state["history"])
        for name, gen_state in state.get("method_generators", {}).items():
            if name in generators:
                generators[name].set_state(gen_state)
        rng = state["rng"]
        if isinstance(rng, list):  # one state per rank of a distributed run
            rng = rng[context.rank] if len(rng) == context.world_size else None
        elif context.enabled:
            rng = None
        if rng is not None:
            _set_rng_state(rng, loader_generator)
        result.checkpoint_path = path
    elif seed is not None:
        from graphcl.utils import seed_everything

        seed_everything(seed + context.rank)
    result.resumed_from_epoch = start_epoch

    model = _LossForward(method)
    if context.enabled:
        from torch.nn.parallel import DistributedDataParallel

        model = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None,
                                        find_unused_parameters=find_unused_parameters)

    show = show_progress and context.is_main
    bar = progress(range(start_epoch, epochs), enabled=show, desc=f"pretrain {config['method']}", unit="epoch")
    for epoch in bar:
        if sampler is not None:
            sampler.set_epoch(epoch)
        method.train()
        started = time.perf_counter()
        loss_sum = torch.zeros((), dtype=torch.float64, device=device)
        graphs = torch.zeros((), dtype=torch.float64, device=device)
        for step, batch in enumerate(loader):
            if max_batches is not None and step >= max_batches:
                break
            batch = batch.to(device)
            optimizer.zero_grad(set_to_none=True)
            loss = model(batch)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"Non-finite loss {loss.item()} at epoch {epoch + 1}, step {step}")
            loss.backward()
            if grad_clip is not None:
                torch.nn.utils.clip_grad_norm_(method.parameters(), grad_clip)
            optimizer.step()
            size = float(getattr(batch, "num_graphs", 1))
            loss_sum += loss.detach().double() * size
            graphs += size
        if context.enabled:
            totals = torch.stack([loss_sum, graphs])
            dist.all_reduce(totals)
            loss_sum, graphs = totals[0], totals[1]
        record: dict[str, Any] = {"epoch": epoch + 1, "loss": float(loss_sum / graphs.clamp(min=1)),
                                  "graphs": int(graphs), "seconds": time.perf_counter() - started}
        hook = getattr(method, "on_epoch_end", None)
        if callable(hook):
            extras = hook(loader)
            if context.enabled:
                _broadcast_state(method)
            if extras:
                record.update(extras)
        result.history.append(record)
        if show and hasattr(bar, "set_postfix"):
            bar.set_postfix(loss=f"{record['loss']:.4f}")
        if on_epoch is not None and context.is_main:
            on_epoch(record)
        done = epoch + 1
        if path is not None and (done % checkpoint_every == 0 or done == epochs):
            rng = _rng_state(loader_generator)
            if context.enabled:
                gathered = [None] * context.world_size
                dist.all_gather_object(gathered, rng)
                rng = gathered
            if context.is_main:
                atomic_save({"format": CHECKPOINT_FORMAT, "model": method.state_dict(),
                             "optimizer": optimizer.state_dict(), "epoch": done, "history": result.history,
                             "rng": rng, "method_generators": {k: g.get_state() for k, g in generators.items()},
                             "config": config}, path)
            result.checkpoint_path = path
    result.epochs = len(result.history)
    return result


def _broadcast_state(method: nn.Module) -> None:
    """Make every rank hold rank 0's buffers and extra state after ``on_epoch_end``."""
    import torch.distributed as dist

    for buffer in method.buffers():
        dist.broadcast(buffer.data, src=0)
    for module in method.modules():
        if type(module).get_extra_state is not nn.Module.get_extra_state:
            payload = [module.get_extra_state() if dist.get_rank() == 0 else None]
            dist.broadcast_object_list(payload, src=0)
            module.set_extra_state(payload[0])
