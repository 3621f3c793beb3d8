"""Pieces shared by the bootstrapped methods (BYOL, Grill et al. 2020, https://arxiv.org/abs/2006.07733):
a target network that follows the online network by an exponential moving average, and its schedule."""
from __future__ import annotations

import copy
import math
from typing import Optional

import torch
from torch import nn

from graphcl.nn.projection import ProjectionHead


def check_momentum(momentum: float) -> float:
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
        raise ValueError(f"momentum must lie in [0, 1], got {momentum!r}")
    return float(momentum)


def cosine_momentum(base: float, step: int, total_steps: Optional[int]) -> float:
    r"""BYOL's schedule :math:`\tau_k = 1 - (1 - \tau_{base})(\cos(\pi k / K) + 1) / 2`, rising from
    ``base`` to 1 over ``total_steps``; constant ``base`` when ``total_steps`` is ``None``."""
    if total_steps is None:
        return base
    progress = min(step, total_steps) / total_steps
    return 1 - (1 - base) * (math.cos(math.pi * progress) + 1) / 2


def frozen_copy(module: nn.Module) -> nn.Module:
    """A deep copy whose parameters take no gradient (the target network)."""
    target = copy.deepcopy(module)
    for parameter in target.parameters():
        parameter.requires_grad_(False)
    return target


@torch.no_grad()
def momentum_update(target: nn.Module, online: nn.Module, momentum: float) -> None:
    r""":math:`\xi \leftarrow \tau \xi + (1 - \tau)\theta` for every parameter; buffers (batch-norm
    statistics) are copied."""
    for target_parameter, online_parameter in zip(target.parameters(), online.parameters()):
        target_parameter.mul_(momentum).add_(online_parameter.detach(), alpha=1 - momentum)
    for target_buffer, online_buffer in zip(target.buffers(), online.buffers()):
        target_buffer.copy_(online_buffer)


def prediction_head(in_channels: int, hidden_channels: int, out_channels: int) -> ProjectionHead:
    """BYOL/BGRL predictor: Linear - BatchNorm - PReLU - Linear."""
    return ProjectionHead(in_channels, hidden_channels, out_channels, batch_norm=True, activation="prelu")
