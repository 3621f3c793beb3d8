"""GIN encoder of the unsupervised TU protocol (InfoGraph / GraphCL / JOAO).

Graph Isomorphism Network (Xu et al., ICLR 2019, https://arxiv.org/abs/1810.00826) with the readout of
InfoGraph (Sun et al., ICLR 2020) used by GraphCL (You et al., NeurIPS 2020): every layer's node embeddings
are pooled per graph and the pooled vectors of all layers are concatenated.
"""
from __future__ import annotations

from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import GINConv, global_add_pool, global_max_pool, global_mean_pool

from graphcl.nn.output import EncoderOutput
from graphcl.utils.checks import check_positive_int

_POOLINGS: dict[str, Callable[..., Tensor]] = {
    "sum": global_add_pool,
    "add": global_add_pool,
    "mean": global_mean_pool,
    "max": global_max_pool,
}


class GINEncoder(nn.Module):
    r"""GIN with batch norm and per-layer pooling, layer outputs concatenated.

    Layer :math:`l` computes :math:`h^{(l)} = \mathrm{BN}(\mathrm{ReLU}(\mathrm{MLP}((1+\epsilon)h^{(l-1)}_v +
    \sum_{u \in N(v)} h^{(l-1)}_u)))` with a Linear-ReLU-Linear MLP (:math:`\epsilon = 0`, as the official
    code), and the graph embedding is :math:`[\mathrm{pool}(h^{(1)}) \| \dots \| \mathrm{pool}(h^{(L)})]`.
    The default 3 layers x 32 give 96-dimensional node and graph embeddings.

    Args:
        in_channels (int): node feature size ``F``. Graphs without features should carry a constant
            feature (``x = 1``, ``in_channels=1``); a missing ``x`` is replaced by ones when ``in_channels``
            is 1.
        hidden_channels (int, optional): width of every layer. (default: :obj:`32`)
        num_layers (int, optional): number of GIN layers. (default: :obj:`3`)
        pooling (str, optional): ``"sum"`` (``"add"``), ``"mean"`` or ``"max"``. (default: :obj:`"sum"`)
        batch_norm (bool, optional): batch norm after every layer. (default: :obj:`True`)
        concat (bool, optional): concatenate all layers (``True``) or return the last one. (default: ``True``)

    Shapes:
        input: ``x`` ``[N, F]``, ``edge_index`` ``[2, E]``, ``batch`` ``[N]``;
        output: :class:`~graphcl.nn.EncoderOutput` with ``node`` ``[N, L*H]`` and ``graph`` ``[B, L*H]``
        (``H`` instead of ``L*H`` when ``concat=False``).

    Example:
        >>> encoder = GINEncoder(7)
        >>> encoder.out_channels
        96
    """

    def __init__(self, in_channels: int, hidden_channels: int = 32, num_layers: int = 3, pooling: str = "sum",
                 batch_norm: bool = True, concat: bool = True) -> None:
        super().__init__()
        for name, value in (("in_channels", in_channels), ("hidden_channels", hidden_channels),
                            ("num_layers", num_layers)):
            check_positive_int(name, value)
        if pooling not in _POOLINGS:
            raise ValueError(f"pooling must be one of {sorted(_POOLINGS)}, got {pooling!r}")
        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.num_layers = num_layers
        self.pooling = pooling
        self.concat = bool(concat)
        self.convs = nn.ModuleList()
        self.norms = nn.ModuleList()
        for layer in range(num_layers):
            width_in = in_channels if layer == 0 else hidden_channels
            mlp = nn.Sequential(nn.Linear(width_in, hidden_channels), nn.ReLU(),
                                nn.Linear(hidden_channels, hidden_channels))
            self.convs.append(GINConv(mlp, train_eps=False))
            self.norms.append(nn.BatchNorm1d(hidden_channels) if batch_norm else nn.Identity())
        self.reset_parameters()

    @property
    def config(self) -> dict[str, Any]:
        """Constructor arguments (stored in checkpoints, see :func:`graphcl.nn.save_encoder`)."""
        return {"in_channels": self.in_channels, "hidden_channels": self.hidden_channels,
                "num_layers": self.num_layers, "pooling": self.pooling,
                "batch_norm": isinstance(self.norms[0], nn.BatchNorm1d), "concat": self.concat}

    @property
    def out_channels(self) -> int:
        """Size of the node and graph embeddings."""
        return self.hidden_channels * (self.num_layers if self.concat else 1)

    def reset_parameters(self) -> None:
        for conv, norm in zip(self.convs, self.norms):
            for module in conv.nn:
                if isinstance(module, nn.Linear):
                    # the official TU code initialises every Linear with Xavier-uniform and zero bias
                    nn.init.xavier_uniform_(module.weight)
                    nn.init.zeros_(module.bias)
            if isinstance(norm, nn.BatchNorm1d):
                norm.reset_parameters()

    def _features(self, data) -> Tensor:
        x = getattr(data, "x", None)
        num_nodes = int(data.num_nodes)
        if x is None:
            if self.in_channels != 1:
                raise ValueError(f"the graphs have no node features but in_channels={self.in_channels}; "
                                 "add a constant feature (in_channels=1) or pass features")
            return torch.ones(num_nodes, 1, device=data.edge_index.device)
        if x.dim() == 1:
            x = x.unsqueeze(-1)
        if x.size(-1) != self.in_channels:
            raise ValueError(f"expected node features of size {self.in_channels}, got {x.size(-1)}")
        if not x.is_floating_point():
            x = x.float()
        if not torch.isfinite(x).all():
            raise ValueError("node features contain NaN or infinite values")
        return x

    def forward(self, data) -> EncoderOutput:
        """Encode a :class:`~torch_geometric.data.Data` or :class:`~torch_geometric.data.Batch`."""
        x = self._features(data)
        edge_index = data.edge_index
        batch = getattr(data, "batch", None)
        if batch is None:
            batch = torch.zeros(x.size(0), dtype=torch.long, device=x.device)
        num_graphs = int(getattr(data, "num_graphs", 1) or 1)
        pool = _POOLINGS[self.pooling]
        node_outputs, graph_outputs = [], []
        h = x
        for conv, norm in zip(self.convs, self.norms):
            h = norm(F.relu(conv(h, edge_index)))
            node_outputs.append(h)
            graph_outputs.append(pool(h, batch, size=num_graphs))
        if not self.concat:
            return EncoderOutput(node=node_outputs[-1], graph=graph_outputs[-1])
        return EncoderOutput(node=torch.cat(node_outputs, dim=-1), graph=torch.cat(graph_outputs, dim=-1))

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.in_channels}, {self.hidden_channels}, "
                f"num_layers={self.num_layers}, pooling={self.pooling!r})")
