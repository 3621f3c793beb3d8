r"""Readouts: one summary vector per graph from its node embeddings.

``sigmoid_mean`` is Deep Graph Infomax's summary :math:`s = \sigma(\frac{1}{N}\sum_i h_i)`
(Veličković et al., ICLR 2019, https://arxiv.org/abs/1809.10341).
"""
from __future__ import annotations

from typing import Callable, Optional

import torch
from torch import Tensor

Readout = Callable[..., Tensor]


def _pool(name: str, x: Tensor, batch: Optional[Tensor], size: Optional[int]) -> Tensor:
    from torch_geometric.nn import global_add_pool, global_max_pool, global_mean_pool

    if x.dim() != 2:
        raise ValueError(f"node embeddings must have shape [num_nodes, channels], got {tuple(x.shape)}")
    if x.size(0) == 0:
        raise ValueError("cannot read out a graph with no nodes")
    pool = {"mean": global_mean_pool, "sum": global_add_pool, "max": global_max_pool}[name]
    return pool(x, batch, size)


def mean_readout(x: Tensor, batch: Optional[Tensor] = None, size: Optional[int] = None) -> Tensor:
    """Mean of the node embeddings of each graph.

    Args:
        x (Tensor): node embeddings ``[N, d]``.
        batch (Tensor, optional): graph index of every node ``[N]``; ``None`` means one graph.
        size (int, optional): number of graphs :math:`B`. (default: inferred)

    Returns:
        Tensor: ``[B, d]`` (``[1, d]`` for a single graph).
    """
    return _pool("mean", x, batch, size)


def sum_readout(x: Tensor, batch: Optional[Tensor] = None, size: Optional[int] = None) -> Tensor:
    """Sum of the node embeddings of each graph: ``[N, d] -> [B, d]``."""
    return _pool("sum", x, batch, size)


def max_readout(x: Tensor, batch: Optional[Tensor] = None, size: Optional[int] = None) -> Tensor:
    """Element-wise maximum over the nodes of each graph: ``[N, d] -> [B, d]``."""
    return _pool("max", x, batch, size)


def sigmoid_mean_readout(x: Tensor, batch: Optional[Tensor] = None, size: Optional[int] = None) -> Tensor:
    r"""DGI's summary :math:`\sigma(\mathrm{mean}_i\, h_i)` per graph: ``[N, d] -> [B, d]``."""
    return torch.sigmoid(_pool("mean", x, batch, size))


READOUTS: dict[str, Readout] = {
    "mean": mean_readout,
    "sum": sum_readout,
    "max": max_readout,
    "sigmoid_mean": sigmoid_mean_readout,
}


def resolve_readout(readout: str | Readout) -> Readout:
    """Return the readout function named ``readout`` (``"mean"``, ``"sum"``, ``"max"``, ``"sigmoid_mean"``);
    a callable is returned unchanged.

    Raises:
        ValueError: unknown name.
    """
    if callable(readout):
        return readout
    if isinstance(readout, str) and readout.lower() in READOUTS:
        return READOUTS[readout.lower()]
    raise ValueError(f"unknown readout {readout!r}; choose one of {sorted(READOUTS)}")


def readout_name(readout: Readout) -> str:
    """The registered name of a readout function (its ``__name__`` otherwise)."""
    for name, function in READOUTS.items():
        if function is readout:
            return name
    return getattr(readout, "__name__", type(readout).__name__)
