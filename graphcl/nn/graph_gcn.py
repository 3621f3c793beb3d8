r"""GCN encoder of graph-level MVGRL (Hassani & Khasahmadi, ICML 2020, https://arxiv.org/abs/2006.05582).

Layer :math:`\ell`: :math:`H^{(\ell)} = \mathrm{PReLU}(S H^{(\ell-1)} W^{(\ell)} + b^{(\ell)})`, where
:math:`S` is either the normalized adjacency :math:`D^{-1/2}(A + I)D^{-1/2}` (``normalize=True``) or a given
weighted propagation matrix such as a personalized-PageRank diffusion, used as it is (``normalize=False``).
Node embeddings are the last layer's; the graph embedding concatenates the per-layer sums over each graph's
nodes, as the official ``graph/train.py`` does.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn
from torch_geometric.nn import GCNConv, global_add_pool

from graphcl.nn.output import EncoderOutput
from graphcl.utils.checks import check_positive_int


class GraphGCNEncoder(nn.Module):
    r"""A stack of GCN layers with PReLU; last-layer node embeddings and concatenated per-layer sum pools.

    Args:
        in_channels (int): node feature size ``F``.
        hidden_channels (int): width ``H`` of every layer.
        num_layers (int, optional): number of layers ``L``. (default: :obj:`4`)
        normalize (bool, optional): propagate with :math:`D^{-1/2}(A + I)D^{-1/2}` built from
            ``edge_index`` (and ``edge_weight``); ``False`` uses ``edge_weight`` as the propagation matrix
            unchanged (a diffusion that already holds its self-loops). (default: :obj:`True`)

    Shapes:
        input: a :class:`~torch_geometric.data.Data` / :class:`~torch_geometric.data.Batch` with ``x``
        ``[N, F]``, ``edge_index`` ``[2, E]``, optional ``edge_weight`` ``[E]`` and ``batch`` ``[N]``;
        output: :class:`~graphcl.nn.EncoderOutput` with ``node`` ``[N, H]`` and ``graph`` ``[B, L*H]``.

    Attributes:
        out_channels (int): size of the graph embedding, ``L*H``.
        node_channels (int): size of the node embedding, ``H``.
    """

    def __init__(self, in_channels: int, hidden_channels: int, num_layers: int = 4, normalize: bool = True) -> None:
        super().__init__()
        for name, value in (("in_channels", in_channels), ("hidden_channels", hidden_channels),
                            ("num_layers", num_layers)):
            check_positive_int(name, value)
        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.num_layers = num_layers
        self.normalize = bool(normalize)
        self.convs = nn.ModuleList(
            GCNConv(in_channels if layer == 0 else hidden_channels, hidden_channels, normalize=self.normalize,
                    add_self_loops=self.normalize)
            for layer in range(num_layers))
        self.activations = nn.ModuleList(nn.PReLU() for _ in range(num_layers))
        self.reset_parameters()

    @property
    def config(self) -> dict[str, Any]:
        return {"in_channels": self.in_channels, "hidden_channels": self.hidden_channels,
                "num_layers": self.num_layers, "normalize": self.normalize}

    @property
    def out_channels(self) -> int:
        return self.hidden_channels * self.num_layers

    @property
    def node_channels(self) -> int:
        return self.hidden_channels

    def reset_parameters(self) -> None:
        """Glorot-uniform weights, zero biases (PyG's GCNConv, as the official GCNLayer), PReLU 0.25."""
        for conv, activation in zip(self.convs, self.activations):
            conv.reset_parameters()
            activation.reset_parameters()

    def forward(self, data) -> EncoderOutput:
        x = getattr(data, "x", None)
        if x is None:
            raise ValueError("the graphs have no node features `x`")
        if x.dim() != 2 or x.size(1) != self.in_channels:
            raise ValueError(f"expected node features [N, {self.in_channels}], got {tuple(x.shape)}")
        x = x.float()
        edge_index = data.edge_index
        edge_weight = getattr(data, "edge_weight", None)
        if not self.normalize and edge_weight is None:
            raise ValueError("normalize=False propagates with edge_weight, but the graph has none")
        batch = getattr(data, "batch", None)
        if batch is None:
            batch = torch.zeros(x.size(0), dtype=torch.long, device=x.device)
        num_graphs = int(getattr(data, "num_graphs", 1) or 1)
        pooled = []
        h = x
        for conv, activation in zip(self.convs, self.activations):
            h = activation(conv(h, edge_index, edge_weight))
            pooled.append(global_add_pool(h, batch, size=num_graphs))
        return EncoderOutput(node=h, graph=torch.cat(pooled, dim=-1))

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.in_channels}, {self.hidden_channels}, "
                f"num_layers={self.num_layers}, normalize={self.normalize})")
