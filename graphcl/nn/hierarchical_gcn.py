r"""Hierarchical graph convolutional network (H-GCN).

Hu, Zhu, Wu, Wang & Tan, "Hierarchical Graph Convolutional Networks for Semi-supervised Node
Classification", IJCAI 2019 (https://arxiv.org/abs/1902.06667). It is the global view of CG3.

The graph is coarsened in several levels. Each level first merges *structurally equivalent* nodes
(identical neighbour sets), then pairs each remaining node with its most strongly connected unmarked
neighbour, the strength being the normalised connection :math:`A_{ij} / \sqrt{d_i d_j}`. A level is
described by a 0/1 assignment matrix :math:`C_l \in \{0, 1\}^{n_l \times n_{l+1}}` (one 1 per row), the
coarse adjacency is :math:`C_l^\top A_l C_l`. The network applies a GCN layer on every level going down
(pooling with the row-normalised :math:`C_l^\top`), then refinement layers going back up (copying with
:math:`C_l` and adding the output of the coarsening layer of the same level), and a final GCN layer on
the original graph.

The hierarchy is computed once per graph with NumPy/SciPy (sparse matrices throughout; only the greedy
matching visits the nodes one by one, as its order defines it), see :func:`coarsening_hierarchy`.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphcl.utils.checks import check_positive_int

__all__ = [
    "CoarseningHierarchy",
    "HierarchicalGCN",
    "coarsen_once",
    "coarsening_hierarchy",
    "sparse_aware_dropout",
    "structural_equivalence_groups",
    "structural_similarity_matching",
]


class CoarseningHierarchy(NamedTuple):
    """The coarsened graphs of one input graph, level 0 being the input.

    Attributes:
        num_nodes (list[int]): nodes per level, length ``num_levels + 1``.
        adjacency (list[Tensor]): GCN-normalised :math:`D^{-1/2}(A_l + I)D^{-1/2}` per level, sparse
            ``[n_l, n_l]``.
        assignment (list[Tensor]): :math:`C_l`, sparse 0/1 ``[n_l, n_{l+1}]``, length ``num_levels``.
        pooling (list[Tensor]): :math:`C_l^\top` with L2-normalised rows, sparse ``[n_{l+1}, n_l]``.
        node_weight (list[Tensor]): number of input nodes each node stands for, long ``[n_l]``.
        cluster (list[Tensor]): coarse node of every fine node, long ``[n_l]`` (the dense form of
            ``assignment``).
    """

    num_nodes: list
    adjacency: list
    assignment: list
    pooling: list
    node_weight: list
    cluster: list

    @property
    def num_levels(self) -> int:
        return len(self.assignment)

    def to(self, device: torch.device | str) -> "CoarseningHierarchy":
        move = lambda items: [t.to(device) for t in items]  # noqa: E731
        return CoarseningHierarchy(list(self.num_nodes), move(self.adjacency), move(self.assignment),
                                   move(self.pooling), move(self.node_weight), move(self.cluster))


def _to_csr(edge_index, edge_weight, num_nodes: int):
    import scipy.sparse as sp

    edge_index = np.asarray(edge_index)
    weight = np.ones(edge_index.shape[1], dtype=np.float64) if edge_weight is None else np.asarray(
        edge_weight, dtype=np.float64)
    adj = sp.csr_matrix((weight, (edge_index[0], edge_index[1])), shape=(num_nodes, num_nodes))
    adj.sum_duplicates()
    adj.sort_indices()
    return adj


def structural_equivalence_groups(adj) -> np.ndarray:
    """Group nodes whose stored neighbour sets are identical (H-GCN's structural equivalence grouping).

    As in the official H-GCN code the neighbour set is the row's sparsity pattern: a stored self-loop
    (coarse nodes that absorbed an edge carry one) counts as a neighbour, and all nodes without any
    neighbour share the empty set, so they form one group.

    Args:
        adj (scipy.sparse matrix): symmetric adjacency ``[n, n]``.

    Returns:
        numpy.ndarray: ``[n]`` group label per node, ``-1`` for nodes in no group of two or more.
    """
    import scipy.sparse as sp

    n = adj.shape[0]
    pattern = sp.csr_matrix(adj, copy=True)
    pattern.eliminate_zeros()
    pattern.data[:] = 1.0
    pattern.sort_indices()
    degree = np.diff(pattern.indptr)
    group = np.full(n, -1, dtype=np.int64)
    if n < 2:
        return group
    # Two random linear hashes of the neighbour set: equal sets give bit-equal sums (same summation
    # order in sorted CSR rows); candidate groups are then verified exactly below.
    rng = np.random.default_rng(0)
    codes = pattern @ rng.random((n, 2))
    keys = np.stack([degree.astype(np.float64), codes[:, 0], codes[:, 1]], 1)
    _, inverse, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    shared = counts[inverse] > 1
    members, keys_of = np.flatnonzero(shared), inverse[shared]
    if members.size == 0:
        return group
    # representative = first member of each candidate group; keep members whose row equals it exactly
    order = np.argsort(keys_of, kind="stable")
    members, keys_of = members[order], keys_of[order]
    first = np.ones(members.size, dtype=bool)
    first[1:] = keys_of[1:] != keys_of[:-1]
    representative = members[first][np.cumsum(first) - 1]
    difference = pattern[members] - pattern[representative]
    difference.eliminate_zeros()
    exact = np.diff(difference.indptr) == 0
    members, representative = members[exact], representative[exact]
    size = np.bincount(representative, minlength=n)
    keep = size[representative] > 1
    group[members[keep]] = representative[keep]
    return group


def structural_similarity_matching(adj, node_weight: np.ndarray, matched: np.ndarray,
                                   max_node_weight: int | None = None) -> np.ndarray:
    """Pair unmatched nodes with their most strongly connected unmatched neighbour (H-GCN's structural
    similarity grouping, the normalised heavy-edge matching of MILE).

    The strength of edge ``(i, j)`` is :math:`A_{ij} / \\sqrt{d_i d_j}` with weighted degrees ``d`` (self-loops
    included). Nodes are visited once, in increasing order of their number of stored neighbours (ties by
    index); a node still unmatched when visited takes its strongest unmatched neighbour (ties: smallest
    index) whose merged node weight stays within ``max_node_weight``, or stays alone. The greedy order
    is what the official code does; it is sequential by nature, so this is the one loop over nodes in
    the coarsening (a few hundred milliseconds on PubMed, once per graph).

    Args:
        adj (scipy.sparse matrix): symmetric weighted adjacency ``[n, n]``.
        node_weight (numpy.ndarray): ``[n]`` input nodes represented by each node.
        matched (numpy.ndarray): ``[n]`` bool, nodes already grouped (left alone).
        max_node_weight (int, optional): cap on the weight of a merged node.

    Returns:
        numpy.ndarray: ``[n]`` partner of every node, ``-1`` where none.
    """
    import scipy.sparse as sp

    csr = sp.csr_matrix(adj, copy=True)
    csr.sort_indices()
    n = csr.shape[0]
    degree = np.asarray(csr.sum(axis=1)).reshape(-1).astype(np.float64)
    row = np.repeat(np.arange(n), np.diff(csr.indptr))
    col = csr.indices.astype(np.int64)
    strength = csr.data.astype(np.float64) / np.sqrt(np.maximum(degree[row] * degree[col], 1e-300))
    # only edges that could ever be chosen: no self-loop, positive weight, within the weight cap
    admissible = (row != col) & (csr.data > 0)
    if max_node_weight is not None:
        admissible &= node_weight[row] + node_weight[col] <= max_node_weight
    strength = np.where(admissible, strength, -np.inf)
    indptr = csr.indptr.tolist()
    neighbours, strength = col.tolist(), strength.tolist()
    taken = np.asarray(matched, dtype=bool).tolist()
    partner = [-1] * n
    for node in np.argsort(np.diff(csr.indptr), kind="stable").tolist():
        if taken[node]:
            continue
        taken[node] = True
        best, best_strength = -1, -math.inf
        for k in range(indptr[node], indptr[node + 1]):
            if strength[k] > best_strength and not taken[neighbours[k]]:
                best, best_strength = neighbours[k], strength[k]
        if best >= 0:
            taken[best] = True
            partner[node], partner[best] = best, node
    return np.asarray(partner, dtype=np.int64)


def coarsen_once(adj, node_weight: np.ndarray, max_node_weight: int | None = 50) -> np.ndarray:
    """One coarsening step: structural equivalence grouping, then structural similarity matching.

    Returns:
        numpy.ndarray: ``[n]`` coarse node index of every node, in ``0 .. n_coarse - 1`` (coarse nodes
        ordered by their smallest member).
    """
    n = adj.shape[0]
    group = structural_equivalence_groups(adj)
    matched = group >= 0
    partner = structural_similarity_matching(adj, node_weight, matched, max_node_weight)
    nodes = np.arange(n)
    representative = np.where(matched, group, nodes)
    paired = partner >= 0
    representative[paired] = np.minimum(nodes[paired], partner[paired])
    # relabel so that coarse nodes are numbered by their smallest member
    smallest = np.full(n, n, dtype=np.int64)
    np.minimum.at(smallest, representative, nodes)
    _, cluster = np.unique(smallest[representative], return_inverse=True)
    return cluster.reshape(-1)


def _gcn_normalized(adj) -> Tensor:
    import scipy.sparse as sp

    # D^{-1/2} (A + I) D^{-1/2}; the identity is added on top of the self-loops merged nodes carry
    full = (adj + sp.identity(adj.shape[0], format="csr")).tocsr()
    degree = np.asarray(full.sum(axis=1)).reshape(-1)
    inv_sqrt = np.where(degree > 0, 1.0 / np.sqrt(np.maximum(degree, 1e-300)), 0.0)
    full = sp.diags(inv_sqrt) @ full @ sp.diags(inv_sqrt)
    return _scipy_to_torch(full)


def _scipy_to_torch(matrix) -> Tensor:
    import scipy.sparse as sp

    coo = sp.coo_matrix(matrix)
    indices = torch.from_numpy(np.vstack([coo.row, coo.col]).astype(np.int64))
    values = torch.from_numpy(coo.data.astype(np.float32))
    return torch.sparse_coo_tensor(indices, values, coo.shape, check_invariants=True).coalesce()


def coarsening_hierarchy(edge_index: Tensor, num_nodes: int, num_levels: int = 4,
                         max_node_weight: int | None = 50, edge_weight: Tensor | None = None
                         ) -> CoarseningHierarchy:
    r"""Coarsen a graph ``num_levels`` times (H-GCN, Sec. 3.1).

    Args:
        edge_index (Tensor): ``[2, E]`` edges of an undirected graph (both directions).
        num_nodes (int): number of nodes.
        num_levels (int, optional): coarsening steps. (default: ``4``)
        max_node_weight (int, optional): no pair is merged into a node standing for more input nodes
            than this (``None``: no cap). (default: ``50``)
        edge_weight (Tensor, optional): ``[E]`` edge weights. (default: all ones)

    Returns:
        CoarseningHierarchy
    """
    import scipy.sparse as sp

    check_positive_int("num_levels", num_levels)
    if num_nodes < 1:
        raise ValueError("Cannot coarsen an empty graph (num_nodes = 0).")
    edge_index = torch.as_tensor(edge_index)
    if edge_index.dim() != 2 or edge_index.size(0) != 2:
        raise ValueError(f"edge_index must have shape [2, E], got {tuple(edge_index.shape)}.")
    if edge_index.numel() and (int(edge_index.min()) < 0 or int(edge_index.max()) >= num_nodes):
        raise ValueError("edge_index refers to nodes outside 0 .. num_nodes - 1.")
    weight = None if edge_weight is None else edge_weight.detach().cpu().numpy()
    adj = _to_csr(edge_index.cpu().numpy(), weight, num_nodes)
    if (abs(adj - adj.T) > 1e-6 * max(1.0, abs(adj).max() if adj.nnz else 1.0)).nnz:
        raise ValueError("coarsening_hierarchy expects an undirected graph (use torch_geometric.utils."
                         "to_undirected).")
    node_weight = np.ones(num_nodes, dtype=np.int64)
    sizes, adjacency, assignment, pooling, weights, clusters = [num_nodes], [], [], [], [], []
    for _ in range(num_levels):
        adjacency.append(_gcn_normalized(adj))
        weights.append(torch.from_numpy(node_weight.copy()))
        cluster = coarsen_once(adj, node_weight, max_node_weight)
        n_fine, n_coarse = adj.shape[0], int(cluster.max()) + 1
        c = sp.csr_matrix((np.ones(n_fine), (np.arange(n_fine), cluster)), shape=(n_fine, n_coarse))
        size = np.bincount(cluster, minlength=n_coarse).astype(np.float64)
        pool = sp.diags(1.0 / np.sqrt(size)) @ c.T.tocsr()
        assignment.append(_scipy_to_torch(c))
        pooling.append(_scipy_to_torch(pool))
        clusters.append(torch.from_numpy(cluster.astype(np.int64)))
        adj = (c.T @ adj @ c).tocsr()
        adj.sort_indices()
        node_weight = np.bincount(cluster, weights=node_weight, minlength=n_coarse).astype(np.int64)
        sizes.append(n_coarse)
    adjacency.append(_gcn_normalized(adj))
    weights.append(torch.from_numpy(node_weight.copy()))
    return CoarseningHierarchy(sizes, adjacency, assignment, pooling, weights, clusters)


def sparse_aware_dropout(x: Tensor, p: float, training: bool = True) -> Tensor:
    """Dropout that also takes a sparse COO or CSR tensor (dropping stored entries only, which is the
    same distribution as dense dropout since zeros stay zero)."""
    if not training or p == 0.0:
        return x
    if x.layout == torch.sparse_csr:
        return torch.sparse_csr_tensor(x.crow_indices(), x.col_indices(), F.dropout(x.values(), p, True),
                                       x.shape, check_invariants=False)
    if x.layout == torch.sparse_coo:
        x = x.coalesce()
        return torch.sparse_coo_tensor(x.indices(), F.dropout(x.values(), p, True), x.shape,
                                       is_coalesced=True, check_invariants=False)
    return F.dropout(x, p, True)


class _MultiChannelGraphConv(nn.Module):
    """GCN layer with ``num_channels`` weight matrices mixed by learned channel weights (H-GCN's
    multi-channel layer). All channels share one propagation matrix, so the channels are mixed before
    propagating: one sparse product per layer whatever the channel count."""

    def __init__(self, in_channels: int, out_channels: int, num_channels: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(num_channels, in_channels, out_channels))
        self.channel_weight = nn.Parameter(torch.empty(num_channels))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for w in self.weight:
            nn.init.xavier_uniform_(w)
        # the official mixing is a width-1 convolution over the channels: Glorot-uniform, fan-in
        # num_channels, fan-out 1
        bound = math.sqrt(6.0 / (self.weight.size(0) + 1))
        nn.init.uniform_(self.channel_weight, -bound, bound)

    def forward(self, x: Tensor, adjacency: Tensor) -> Tensor:
        weight = torch.einsum("c,cio->io", self.channel_weight, self.weight)
        projected = torch.sparse.mm(x, weight) if x.layout != torch.strided else x @ weight
        return torch.sparse.mm(adjacency, projected)


class HierarchicalGCN(nn.Module):
    r"""Hierarchical GCN of Hu et al. (IJCAI 2019): GCN layers while coarsening ``num_levels`` times,
    refinement layers back to the input nodes with skip connections, and an output GCN layer.

    Layers (``L = num_levels``): ``L`` coarsening layers (level ``l`` → pooled to ``l + 1``), ``L``
    refinement layers (level ``l`` → copied to ``l - 1``, plus the coarsening output at ``l - 1``), one
    output layer on level 0: ``2L + 1`` graph convolutions. Coarsening and refinement layers (not the
    first and the last) also see an embedding of each node's weight (how many input nodes it holds).

    Args:
        in_channels (int): input feature size.
        hidden_channels (int): width of every hidden layer. (H-GCN/CG3: ``32``)
        out_channels (int): output size.
        num_levels (int, optional): coarsening levels; must match the hierarchy. (default: ``4``)
        num_channels (int, optional): channels per layer. (default: ``4``)
        node_weight_channels (int, optional): size of the node-weight embedding. (default: ``5``)
        max_node_weight (int, optional): node weights above this share one embedding. (default: ``50``)
        p (float, optional): dropout before every layer. (default: ``0.6``)

    Shapes:
        ``forward(x [N, in_channels], hierarchy) -> [N, out_channels]``; ``x`` may be a sparse COO or
        CSR tensor.
    """

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, num_levels: int = 4,
                 num_channels: int = 4, node_weight_channels: int = 5, max_node_weight: int = 50,
                 p: float = 0.6):
        super().__init__()
        for name, value in (("in_channels", in_channels), ("hidden_channels", hidden_channels),
                            ("out_channels", out_channels), ("num_levels", num_levels),
                            ("num_channels", num_channels), ("max_node_weight", max_node_weight)):
            check_positive_int(name, value)
        if not isinstance(node_weight_channels, int) or node_weight_channels < 0:
            raise ValueError(f"node_weight_channels must be a non-negative integer, got {node_weight_channels!r}.")
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout p must be in [0, 1), got {p}.")
        self.in_channels, self.hidden_channels, self.out_channels = in_channels, hidden_channels, out_channels
        self.num_levels, self.num_channels, self.p = num_levels, num_channels, p
        self.node_weight_channels, self.max_node_weight = node_weight_channels, max_node_weight
        extra = node_weight_channels
        self.node_weight_embedding = nn.Embedding(max_node_weight + 1, max(extra, 1))
        self.coarsen_layers = nn.ModuleList(
            [_MultiChannelGraphConv(in_channels, hidden_channels, num_channels)]
            + [_MultiChannelGraphConv(hidden_channels + extra, hidden_channels, num_channels)
               for _ in range(num_levels - 1)])
        self.refine_layers = nn.ModuleList(
            [_MultiChannelGraphConv(hidden_channels + extra, hidden_channels, num_channels)
             for _ in range(num_levels)])
        self.output_layer = _MultiChannelGraphConv(hidden_channels, out_channels, num_channels)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = math.sqrt(6.0 / (3 * max(self.node_weight_channels, 1) + 3 * self.in_channels))
        nn.init.uniform_(self.node_weight_embedding.weight, -bound, bound)
        for layer in [*self.coarsen_layers, *self.refine_layers, self.output_layer]:
            layer.reset_parameters()

    def _with_node_weight(self, h: Tensor, node_weight: Tensor) -> Tensor:
        if self.node_weight_channels == 0:
            return h
        index = node_weight.clamp(max=self.max_node_weight)
        return torch.cat([h, self.node_weight_embedding(index)], dim=1)

    def _dropout(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return x
        return sparse_aware_dropout(x, self.p, True)

    def forward(self, x: Tensor, hierarchy: CoarseningHierarchy) -> Tensor:
        if hierarchy.num_levels != self.num_levels:
            raise ValueError(f"The hierarchy has {hierarchy.num_levels} levels, the model {self.num_levels}.")
        if x.size(0) != hierarchy.num_nodes[0] or x.size(1) != self.in_channels:
            raise ValueError(f"x must have shape [{hierarchy.num_nodes[0]}, {self.in_channels}], "
                             f"got {tuple(x.shape)}.")
        h, skips = x, []
        for level, layer in enumerate(self.coarsen_layers):
            if level > 0:
                h = self._with_node_weight(h, hierarchy.node_weight[level])
            h = F.relu(layer(self._dropout(h), hierarchy.adjacency[level]))
            skips.append(h)
            h = torch.sparse.mm(hierarchy.pooling[level], h)
        for step, layer in enumerate(self.refine_layers):
            level = self.num_levels - step
            h = self._with_node_weight(h, hierarchy.node_weight[level])
            h = F.relu(layer(self._dropout(h), hierarchy.adjacency[level]))
            h = torch.sparse.mm(hierarchy.assignment[level - 1], h) + skips[level - 1]
        return self.output_layer(self._dropout(h), hierarchy.adjacency[0])

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.in_channels}, {self.hidden_channels}, {self.out_channels}, "
                f"num_levels={self.num_levels}, num_channels={self.num_channels}, p={self.p})")
