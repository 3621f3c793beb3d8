"""Process-group set-up for ``torchrun``: the same training code runs on one process or many.

``torchrun --nproc_per_node=K`` sets ``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``, ``MASTER_ADDR`` and
``MASTER_PORT``; :func:`setup_distributed` reads them and joins the process group (gloo on the CPU,
NCCL on CUDA). Without them it does nothing and training runs in a single process.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistributedContext:
    """Where this process sits in a (possibly single-process) run."""

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1
    created_group: bool = False

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def distributed_env() -> tuple[int, int, int]:
    """``(rank, local_rank, world_size)`` from the environment ``torchrun`` sets (``(0, 0, 1)`` otherwise)."""
    try:
        world_size = int(os.environ.get("WORLD_SIZE", "1"))
        rank = int(os.environ.get("RANK", "0"))
        local_rank = int(os.environ.get("LOCAL_RANK", str(rank)))
    except ValueError as error:
        raise ValueError(f"Malformed torchrun environment (RANK/LOCAL_RANK/WORLD_SIZE): {error}") from None
    if world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(f"Invalid torchrun environment: RANK={rank}, WORLD_SIZE={world_size}")
    return rank, local_rank, world_size


def setup_distributed(device: torch.device) -> DistributedContext:
    """Join the process group described by the environment, if any.

    An already initialised group (e.g. by the caller) is reused and left alone afterwards.
    """
    if dist.is_available() and dist.is_initialized():
        return DistributedContext(dist.get_rank(), int(os.environ.get("LOCAL_RANK", dist.get_rank())),
                                  dist.get_world_size(), created_group=False)
    rank, local_rank, world_size = distributed_env()
    if world_size == 1:
        return DistributedContext()
    if not dist.is_available():
        raise RuntimeError("WORLD_SIZE > 1 but this torch build has no torch.distributed support")
    for key in ("MASTER_ADDR", "MASTER_PORT"):
        if key not in os.environ:
            raise ValueError(f"WORLD_SIZE={world_size} but {key} is not set; launch with torchrun")
    backend = "nccl" if device.type == "cuda" else "gloo"
    dist.init_process_group(backend=backend, rank=rank, world_size=world_size)
    return DistributedContext(rank, local_rank, world_size, created_group=True)


def teardown_distributed(context: DistributedContext) -> None:
    """Leave the process group if :func:`setup_distributed` created it."""
    if context.created_group and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
