r"""Deep Graph Infomax's bilinear discriminator (Veličković et al., ICLR 2019,
https://arxiv.org/abs/1809.10341): :math:`D(h_i, s) = h_i^\top W s + b`, returned as logits."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from graphcl.utils.checks import check_positive_int


class BilinearDiscriminator(nn.Module):
    r"""Scores (node, summary) pairs with :math:`h_i^\top W s + b`; returns logits (no sigmoid).

    Initialized as DGI's official code: Glorot-uniform :math:`W`, zero bias.

    Args:
        hidden_channels (int): embedding size :math:`d` of nodes and summaries.

    Shapes:
        - input: ``h`` ``[N, d]``; ``summary`` ``[d]`` or ``[1, d]`` (one summary for all nodes) or ``[N, d]``
          (one summary per node, e.g. ``summaries[batch]``)
        - output: logits ``[N]``
    """

    def __init__(self, hidden_channels: int) -> None:
        super().__init__()
        check_positive_int("hidden_channels", hidden_channels)
        self.hidden_channels = hidden_channels
        self.weight = nn.Parameter(torch.empty(hidden_channels, hidden_channels))
        self.bias = nn.Parameter(torch.empty(1))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # fan-in/fan-out as torch.nn.Bilinear(d, d, 1) has them, the layer DGI's code uses
        bound = (6.0 / (self.hidden_channels * self.hidden_channels + self.hidden_channels)) ** 0.5
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.zeros_(self.bias)

    def forward(self, h: Tensor, summary: Tensor) -> Tensor:
        d = self.hidden_channels
        if h.dim() != 2 or h.size(1) != d:
            raise ValueError(f"h must have shape [num_nodes, {d}], got {tuple(h.shape)}")
        if summary.dim() == 2 and summary.size(0) == 1:
            summary = summary[0]
        if summary.dim() == 1:
            if summary.size(0) != d:
                raise ValueError(f"summary must have {d} channels, got {summary.size(0)}")
            # one summary: h W s costs N*d instead of N*d*d
            return h @ (self.weight @ summary) + self.bias
        if summary.shape != h.shape:
            raise ValueError(f"per-node summaries must have shape {tuple(h.shape)}, got {tuple(summary.shape)}")
        return ((h @ self.weight) * summary).sum(dim=-1) + self.bias

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.hidden_channels})"
