r"""Sparse personalized-PageRank graph diffusion (Gasteiger et al., "Diffusion Improves Graph Learning",
NeurIPS 2019, https://arxiv.org/abs/1911.05485), the second view of MVGRL (Hassani & Khasahmadi, ICML 2020,
https://arxiv.org/abs/2006.05582).

The diffusion matrix is

.. math::
    S = \alpha \left(I - (1 - \alpha) T\right)^{-1} = \alpha \sum_{k \ge 0} \left((1 - \alpha) T\right)^k,
    \qquad T = D^{-1/2} (A + I) D^{-1/2},

the matrix MVGRL's official code inverts densely (``utils.compute_ppr``). Here it is never formed: the series
is summed for a block of rows at a time with sparse-times-sparse products, terms below ``eps`` are dropped
as they appear (as a push algorithm would), and only the entries of :math:`S` of at least ``eps`` — or the
``top_k`` largest of every row — are kept. Memory is bounded by the block size times the number of terms a
row keeps, never :math:`N^2`.
"""
from __future__ import annotations

import math
import numbers
import warnings
from typing import Optional

import torch
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.nn.conv.gcn_conv import gcn_norm
from torch_geometric.transforms import BaseTransform

from graphcl.utils.checks import check_positive_int

#: Entries one sparse product of a row block aims at (sets the default block size of :func:`ppr_diffusion`).
BLOCK_ENTRIES = 1 << 23

def _csr(row: Tensor, col: Tensor, value: Tensor, shape: tuple[int, int]) -> Tensor:
    """A coalesced CSR tensor from COO triplets (duplicates summed)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # sparse beta / invariant-check notices
        return torch.sparse_coo_tensor(torch.stack([row, col]), value, shape).coalesce().to_sparse_csr()


def _coalesced(index: Tensor, value: Tensor, shape: tuple[int, int]) -> Tensor:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_coo_tensor(index, value, shape).coalesce()


def _coo(matrix: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """``(row, col, value)`` of a CSR tensor."""
    crow, col, value = matrix.crow_indices(), matrix.col_indices(), matrix.values()
    row = torch.repeat_interleave(torch.arange(crow.numel() - 1, device=crow.device), crow.diff())
    return row, col, value


def _top_k_per_row(row: Tensor, col: Tensor, value: Tensor, k: int) -> tuple[Tensor, Tensor, Tensor]:
    """Keep the ``k`` largest values of every row (ties broken by column order)."""
    order = torch.argsort(value, descending=True, stable=True)
    order = order[torch.argsort(row[order], stable=True)]  # grouped by row, largest first inside
    row, col, value = row[order], col[order], value[order]
    counts = torch.bincount(row)
    starts = torch.cumsum(counts, 0) - counts
    rank = torch.arange(row.numel(), device=row.device) - starts[row]
    keep = rank < k
    return row[keep], col[keep], value[keep]


def _check_inputs(edge_index: Tensor, num_nodes: int, alpha: float, eps: float,
                  edge_weight: Optional[Tensor]) -> None:
    if not isinstance(edge_index, Tensor) or edge_index.dim() != 2 or edge_index.size(0) != 2:
        raise ValueError("edge_index must be a tensor of shape [2, num_edges]")
    check_positive_int("num_nodes", num_nodes)
    if edge_index.numel() and (int(edge_index.min()) < 0 or int(edge_index.max()) >= num_nodes):
        raise ValueError(f"edge_index refers to nodes outside [0, {num_nodes})")
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not (eps > 0 and math.isfinite(eps)):
        raise ValueError(f"eps must be a finite number > 0, got {eps!r}")
    if edge_weight is not None and (edge_weight.dim() != 1 or edge_weight.numel() != edge_index.size(1)):
        raise ValueError(f"edge_weight must have shape [{edge_index.size(1)}], got {tuple(edge_weight.shape)}")


@torch.no_grad()
def ppr_diffusion(edge_index: Tensor, num_nodes: int, alpha: float = 0.2, eps: float = 1e-4,
                  top_k: Optional[int] = None, edge_weight: Optional[Tensor] = None,
                  add_self_loops: bool = True, max_iter: Optional[int] = None,
                  block_size: Optional[int] = None) -> tuple[Tensor, Tensor]:
    r"""Sparse personalized-PageRank diffusion :math:`S = \alpha (I - (1-\alpha) T)^{-1}` of a graph.

    Row :math:`i` of :math:`S` is summed as :math:`\alpha \sum_k r_k` with :math:`r_0 = e_i^\top` and
    :math:`r_{k+1} = (1 - \alpha)\, r_k T`, for ``block_size`` rows at a time (sparse CSR products); entries
    of :math:`r_k` below ``eps`` are dropped as they appear, the series stops when no entry is left or after
    ``max_iter`` terms, and entries of :math:`S` below ``eps`` are dropped at the end. An entry is
    underestimated by at most the mass dropped on the way, which ``eps`` bounds per dropped term (a dense
    reference is matched to ~``1e-5`` with ``eps=1e-7``).

    Args:
        edge_index (Tensor): edges ``[2, E]`` (source, target); undirected graphs store both directions.
        num_nodes (int): number of nodes :math:`N`.
        alpha (float, optional): teleport (restart) probability :math:`\alpha`. (default: :obj:`0.2`, MVGRL)
        eps (float, optional): threshold on the series' terms and on the result. (default: :obj:`1e-4`)
        top_k (int, optional): also keep only the ``top_k`` largest entries of every row. (default: :obj:`None`)
        edge_weight (Tensor, optional): edge weights ``[E]``. (default: :obj:`None`)
        add_self_loops (bool, optional): use :math:`A + I` in :math:`T`, as MVGRL. (default: :obj:`True`)
        max_iter (int, optional): cap on the number of terms; default: the first :math:`k` with
            :math:`(1-\alpha)^k < \mathrm{eps}`.
        block_size (int, optional): rows summed at once. A row holds at most about ``1 / eps`` terms, each
            spreading to its neighbours, so the default takes as many rows as keep one product near
            :data:`BLOCK_ENTRIES` entries: ``BLOCK_ENTRIES * eps / (mean degree + 1)``.

    Returns:
        ``(edge_index, edge_weight)``: the diffusion as weighted edges in PyG's flow — edge ``(j, i)`` with
        weight :math:`S_{ij}`, so that ``out_i = sum_j S_ij x_j`` — sorted by target ``i``.

    Raises:
        ValueError: bad shapes, nodes out of range, ``alpha`` outside ``(0, 1)``, ``eps <= 0``.

    Example:
        >>> edge_index = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
        >>> index, weight = ppr_diffusion(edge_index, 3, alpha=0.2, eps=1e-6)
        >>> index.shape[1]  # a path of 3 nodes: every pair is reached
        9
    """
    _check_inputs(edge_index, num_nodes, alpha, eps, edge_weight)
    check_positive_int("top_k", top_k, optional=True)
    check_positive_int("block_size", block_size, optional=True)
    check_positive_int("max_iter", max_iter, optional=True)
    if max_iter is None:
        max_iter = max(1, math.ceil(math.log(eps) / math.log(1.0 - alpha)))
    if block_size is None:
        mean_degree = edge_index.size(1) / num_nodes + 1.0
        block_size = max(1, min(num_nodes, int(BLOCK_ENTRIES * eps / mean_degree)))
    device = edge_index.device
    if edge_weight is not None:
        edge_weight = edge_weight.float()
    index, weight = gcn_norm(edge_index, edge_weight, num_nodes, improved=False, add_self_loops=add_self_loops)
    # T[i, j] = weight of the message j -> i (row = target), so r_{k+1} = (1 - alpha) r_k T is a
    # row-vector product: r_{k+1}[j] = (1 - alpha) sum_i r_k[i] T[i, j].
    source, target = index
    transition = _csr(target, source, weight.float() * (1.0 - alpha), (num_nodes, num_nodes))
    rows, cols, values = [], [], []
    for start in range(0, num_nodes, block_size):
        size = min(block_size, num_nodes - start)
        local = torch.arange(size, device=device)
        r_row, r_col, r_val = local, local + start, torch.ones(size, device=device)
        block = _coalesced(torch.stack([r_row, r_col]), alpha * r_val, (size, num_nodes))
        for _ in range(max_iter):
            residual = _csr(r_row, r_col, r_val, (size, num_nodes)) @ transition
            r_row, r_col, r_val = _coo(residual)
            del residual
            keep = r_val >= eps
            r_row, r_col, r_val = r_row[keep], r_col[keep], r_val[keep]
            if r_val.numel() == 0:
                break
            # summed as we go: the block never holds more than its distinct entries
            block = _coalesced(torch.cat([block.indices(), torch.stack([r_row, r_col])], 1),
                               torch.cat([block.values(), alpha * r_val]), (size, num_nodes))
        b_row, b_col = block.indices()
        b_val = block.values()
        keep = b_val >= eps
        b_row, b_col, b_val = b_row[keep], b_col[keep], b_val[keep]
        if top_k is not None:
            b_row, b_col, b_val = _top_k_per_row(b_row, b_col, b_val, top_k)
        rows.append(b_row + start)
        cols.append(b_col)
        values.append(b_val)
    row, col, value = torch.cat(rows), torch.cat(cols), torch.cat(values)
    return torch.stack([col, row]), value


class PPRDiffusion(BaseTransform):
    r"""Store the sparse PPR diffusion of a graph (:func:`ppr_diffusion`) as ``diff_edge_index`` /
    ``diff_edge_weight`` next to its edges; computed once per graph, e.g. as a pre-transform.

    Args:
        alpha (float, optional): teleport probability. (default: :obj:`0.2`)
        eps (float, optional): threshold. (default: :obj:`1e-4`)
        top_k (int, optional): entries kept per node. (default: :obj:`None`)
    """

    def __init__(self, alpha: float = 0.2, eps: float = 1e-4, top_k: Optional[int] = None) -> None:
        _check_inputs(torch.empty(2, 0, dtype=torch.long), 1, alpha, eps, None)
        check_positive_int("top_k", top_k, optional=True)
        self.alpha, self.eps, self.top_k = float(alpha), float(eps), top_k

    @property
    def config(self) -> dict:
        return {"alpha": self.alpha, "eps": self.eps, "top_k": self.top_k}

    def forward(self, data: Data) -> Data:
        index, weight = ppr_diffusion(data.edge_index, data.num_nodes, self.alpha, self.eps, self.top_k,
                                      edge_weight=getattr(data, "edge_weight", None))
        data.diff_edge_index, data.diff_edge_weight = index, weight
        return data

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(alpha={self.alpha}, eps={self.eps}, top_k={self.top_k})"
