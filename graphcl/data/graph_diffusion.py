r"""Per-graph personalized-PageRank diffusion for graph-level MVGRL (Hassani & Khasahmadi, ICML 2020,
https://arxiv.org/abs/2006.05582).

For a small graph with adjacency :math:`A`, :math:`S = \alpha\,(I - (1 - \alpha)\tilde{A})^{-1}` with
:math:`\tilde{A} = D^{-1/2}(A + I)D^{-1/2}` (the official ``compute_ppr``). It is computed once per graph,
when the dataset is prepared, and stored as a second, weighted edge set ``diff_edge_index`` /
``diff_edge_weight`` (PyG offsets ``*_index`` keys when it collates a batch, so a batch carries the
block-diagonal diffusion of its graphs). The exact diffusion of a graph is dense within the graph's connected
components; ``eps`` drops small entries. Large single graphs need the sparse node-level diffusion instead.
"""
from __future__ import annotations

from typing import Iterable

import torch
from torch_geometric.data import Data
from torch_geometric.transforms import BaseTransform

from graphcl.utils.checks import check_positive_int


def ppr_matrix(edge_index: torch.Tensor, num_nodes: int, alpha: float = 0.2) -> torch.Tensor:
    r"""Dense :math:`\alpha(I - (1-\alpha)D^{-1/2}(A+I)D^{-1/2})^{-1}` of one graph, float64 ``[n, n]``.

    Duplicate edges count once (``A`` is binary, as the official code's networkx graph).
    """
    adjacency = torch.zeros(num_nodes, num_nodes, dtype=torch.float64)
    if edge_index.numel():
        adjacency[edge_index[0], edge_index[1]] = 1.0
    adjacency = adjacency + torch.eye(num_nodes, dtype=torch.float64)
    inv_sqrt = adjacency.sum(1).pow(-0.5)
    normalized = inv_sqrt[:, None] * adjacency * inv_sqrt[None, :]
    system = torch.eye(num_nodes, dtype=torch.float64) - (1.0 - alpha) * normalized
    return alpha * torch.linalg.inv(system)


class GraphPPRDiffusion(BaseTransform):
    r"""Add the personalized-PageRank diffusion of a (small) graph as ``diff_edge_index`` ``[2, E']`` and
    ``diff_edge_weight`` ``[E']`` (float32), the entries of :func:`ppr_matrix` above ``eps``.

    Args:
        alpha (float, optional): teleport probability. (default: :obj:`0.2`, as the official code)
        eps (float, optional): keep entries strictly above this value. (default: :obj:`0.0`: every non-zero)
        max_nodes (int, optional): refuse graphs larger than this, whose dense inverse would be costly.
            (default: :obj:`2000`)
    """

    def __init__(self, alpha: float = 0.2, eps: float = 0.0, max_nodes: int = 2000) -> None:
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
        if eps < 0:
            raise ValueError(f"eps must be >= 0, got {eps!r}")
        self.alpha = float(alpha)
        self.eps = float(eps)
        self.max_nodes = check_positive_int("max_nodes", max_nodes)

    def forward(self, data: Data) -> Data:
        num_nodes = int(data.num_nodes)
        if num_nodes > self.max_nodes:
            raise ValueError(f"a graph has {num_nodes} nodes, more than max_nodes={self.max_nodes}: the per-graph "
                             "dense PPR diffusion is meant for small graphs")
        matrix = ppr_matrix(data.edge_index.cpu(), num_nodes, self.alpha)
        keep = matrix > self.eps
        target, source = keep.nonzero(as_tuple=True)
        out = data.clone()
        out.diff_edge_index = torch.stack([source, target]).to(data.edge_index.device)
        out.diff_edge_weight = matrix[target, source].to(torch.float32).to(data.edge_index.device)
        return out

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(alpha={self.alpha:g}, eps={self.eps:g})"


def with_ppr_diffusion(graphs: Iterable[Data], alpha: float = 0.2, eps: float = 0.0) -> list[Data]:
    """Every graph of ``graphs`` with its diffusion (:class:`GraphPPRDiffusion`), computed once, as a list
    that a PyG ``DataLoader`` batches."""
    transform = GraphPPRDiffusion(alpha, eps)
    return [transform(graph) for graph in graphs]
