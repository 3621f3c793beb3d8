r"""Neighbour sampling for mini-batch node-level training (GraphSAGE's sampler, Hamilton et al., NeurIPS 2017,
https://arxiv.org/abs/1706.02216), plugged into PyG's :class:`~torch_geometric.loader.NodeLoader`.

PyG's own :class:`~torch_geometric.sampler.NeighborSampler` needs ``pyg-lib`` or ``torch-sparse``, which have
no wheel on the default package index. :class:`TorchNeighborSampler` is a pure-PyTorch replacement: every
hop is a handful of tensor operations over the whole frontier (no Python loop over nodes); a node with more
than ``k`` in-neighbours keeps ``k`` of them drawn without replacement (Floyd's algorithm, vectorized over the
frontier, a loop over the ``k`` draws only). :func:`neighbor_loader` uses PyG's sampler when one of its
backends is installed and this one otherwise, so the same training code runs everywhere.
"""
from __future__ import annotations

from typing import Optional, Sequence

import torch
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.loader import NodeLoader
from torch_geometric.sampler import BaseSampler, NodeSamplerInput, SamplerOutput

from graphcl.utils.checks import check_positive_int

SAMPLER_BACKENDS = ("auto", "torch", "pyg")


def pyg_sampler_available() -> bool:
    """Whether PyG's compiled neighbour sampler can run (``pyg-lib`` or ``torch-sparse`` installed)."""
    import torch_geometric.typing as pyg_typing

    return bool(getattr(pyg_typing, "WITH_PYG_LIB", False) or getattr(pyg_typing, "WITH_TORCH_SPARSE", False))


def check_num_neighbors(num_neighbors: Sequence[int]) -> list[int]:
    """``num_neighbors`` as a list of ints, each positive or ``-1`` (all neighbours)."""
    if isinstance(num_neighbors, (int, str)) or len(num_neighbors) == 0:
        raise ValueError(f"num_neighbors must be a non-empty list of ints (one per hop), got {num_neighbors!r}")
    values = []
    for value in num_neighbors:
        if isinstance(value, bool) or not isinstance(value, int) and not hasattr(value, "__index__"):
            raise ValueError(f"num_neighbors must hold ints, got {value!r}")
        value = int(value)
        if value == 0 or value < -1:
            raise ValueError(f"each entry of num_neighbors must be > 0 or -1 (all), got {value}")
        values.append(value)
    return values


def csc(edge_index: Tensor, num_nodes: int) -> tuple[Tensor, Tensor, Tensor]:
    """``(colptr, row, perm)``: the edges sorted by target; the in-neighbours of node ``v`` are
    ``row[colptr[v]:colptr[v + 1]]`` and ``perm`` maps these positions back to edge ids."""
    col = edge_index[1]
    perm = torch.argsort(col, stable=True)
    row = edge_index[0, perm]
    colptr = torch.zeros(num_nodes + 1, dtype=torch.long)
    colptr[1:] = torch.cumsum(torch.bincount(col, minlength=num_nodes), 0)
    return colptr, row, perm


def sample_positions(start: Tensor, degree: Tensor, k: int,
                     generator: Optional[torch.Generator] = None) -> tuple[Tensor, Tensor]:
    """Draw up to ``k`` of each node's ``degree[i]`` edge positions without replacement.

    Args:
        start (Tensor): first position of each node's segment ``[M]``.
        degree (Tensor): segment lengths ``[M]``.
        k (int): how many to keep per node; ``-1`` keeps all.

    Returns:
        ``(positions, owner)``: the chosen positions and, for each, the index (into ``start``) of its node.
    """
    m = start.numel()
    if k < 0:
        small = torch.ones(m, dtype=torch.bool)
    else:
        small = degree <= k
    # nodes with at most k neighbours keep all of them
    owner_small = torch.arange(m)[small]
    counts = degree[small]
    owner_all = torch.repeat_interleave(owner_small, counts)
    offsets = torch.arange(owner_all.numel()) - torch.repeat_interleave(torch.cumsum(counts, 0) - counts, counts)
    positions_all = start[owner_all] + offsets
    if k < 0 or bool(small.all()):
        return positions_all, owner_all
    # Floyd's algorithm for the others: for j = d-k .. d-1 draw t in [0, j]; keep t unless already taken, else j
    owner_big = torch.arange(m)[~small]
    d = degree[~small]
    chosen = torch.empty(owner_big.numel(), k, dtype=torch.long)
    for i in range(k):
        j = d - k + i
        t = (torch.rand(owner_big.numel(), generator=generator, dtype=torch.float64) * (j + 1)).long()
        t = torch.minimum(t, j)
        taken = (chosen[:, :i] == t.unsqueeze(1)).any(dim=1) if i else torch.zeros_like(t, dtype=torch.bool)
        chosen[:, i] = torch.where(taken, j, t)
    positions_big = (start[owner_big].unsqueeze(1) + chosen).reshape(-1)
    owner_big = owner_big.repeat_interleave(k)
    return torch.cat([positions_all, positions_big]), torch.cat([owner_all, owner_big])


def _append_nodes(node: Tensor, candidates: Tensor) -> tuple[Tensor, Tensor]:
    """Append the unseen ``candidates`` to ``node`` (order of first appearance) and return the local index
    of every candidate; memory and time follow ``node`` and ``candidates``, not the graph."""
    everything = torch.cat([node, candidates])
    unique, inverse = torch.unique(everything, return_inverse=True)
    first = torch.full((unique.numel(),), everything.numel(), dtype=torch.long)
    first.scatter_reduce_(0, inverse, torch.arange(everything.numel()), reduce="amin")
    order = torch.argsort(first)
    rank = torch.empty_like(order)
    rank[order] = torch.arange(order.numel())
    local = rank[inverse]
    return unique[order], local[node.numel():]


class TorchNeighborSampler(BaseSampler):
    r"""Pure-PyTorch neighbour sampler for homogeneous graphs, usable by PyG's
    :class:`~torch_geometric.loader.NodeLoader` like PyG's own ``NeighborSampler``.

    Hop ``h`` draws up to ``num_neighbors[h]`` in-neighbours (sources of edges ``j -> i``) of every node that
    hop ``h - 1`` added, without replacement. The sampled subgraph holds the seeds first, then the nodes in
    order of discovery; its edges point from the sampled neighbour to the node that sampled it (PyG's
    ``source_to_target`` flow), as PyG's sampler returns them.

    Args:
        data (Data): the graph (only ``edge_index`` and the node count are read).
        num_neighbors (list of int): neighbours per node and hop; ``-1`` takes all.
        generator (torch.Generator, optional): source of the draws. (default: ``None``, the global RNG)
    """

    def __init__(self, data: Data, num_neighbors: Sequence[int], generator: Optional[torch.Generator] = None):
        self.num_neighbors = check_num_neighbors(num_neighbors)
        self.num_nodes = int(data.num_nodes)
        edge_index = data.edge_index.cpu()
        self.colptr, self.row, self.perm = csc(edge_index, self.num_nodes)
        self.generator = generator

    def sample(self, seeds: Tensor) -> SamplerOutput:
        """Sample around ``seeds`` (global ids, distinct)."""
        node = seeds.to(torch.long).cpu()
        frontier_local = torch.arange(node.numel())
        rows, cols, edges = [], [], []
        num_sampled_nodes, num_sampled_edges = [node.numel()], []
        for k in self.num_neighbors:
            frontier = node[frontier_local]
            start = self.colptr[frontier]
            degree = self.colptr[frontier + 1] - start
            positions, owner = sample_positions(start, degree, k, self.generator)
            neighbours = self.row[positions]
            before = node.numel()
            node, local = _append_nodes(node, neighbours)
            rows.append(local)
            cols.append(frontier_local[owner])
            edges.append(self.perm[positions])
            num_sampled_nodes.append(node.numel() - before)
            num_sampled_edges.append(positions.numel())
            frontier_local = torch.arange(before, node.numel())
        return SamplerOutput(node=node, row=torch.cat(rows), col=torch.cat(cols), edge=torch.cat(edges),
                             num_sampled_nodes=num_sampled_nodes, num_sampled_edges=num_sampled_edges)

    def sample_from_nodes(self, index: NodeSamplerInput, **kwargs) -> SamplerOutput:
        out = self.sample(index.node)
        out.metadata = (index.input_id, index.time)
        return out

    def sample_from_edges(self, index, neg_sampling=None):
        raise NotImplementedError(f"{type(self).__name__} samples around nodes only")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(num_neighbors={self.num_neighbors})"


def neighbor_loader(data: Data, num_neighbors: Sequence[int], batch_size: int,
                    input_nodes: Optional[Tensor] = None, shuffle: bool = True,
                    generator: Optional[torch.Generator] = None, backend: str = "auto",
                    **kwargs) -> NodeLoader:
    """A PyG :class:`~torch_geometric.loader.NodeLoader` over seed batches of ``data`` with neighbour sampling.

    Each batch is a :class:`~torch_geometric.data.Data` of the sampled subgraph whose first ``batch_size``
    nodes are the seeds (``n_id`` gives the global ids, ``batch_size`` the seed count), as PyG's
    ``NeighborLoader`` returns.

    Args:
        data (Data): the graph.
        num_neighbors (list of int): neighbours per node and hop (``-1``: all).
        batch_size (int): seeds per batch.
        input_nodes (Tensor, optional): the seed nodes (ids or a boolean mask); all nodes by default.
        shuffle (bool, optional): shuffle the seeds every epoch. (default: ``True``)
        generator (torch.Generator, optional): drives the seed order and (with the PyTorch sampler) the draws.
        backend (str, optional): ``"auto"`` (PyG's sampler when ``pyg-lib``/``torch-sparse`` is installed),
            ``"torch"`` (:class:`TorchNeighborSampler`) or ``"pyg"``. (default: ``"auto"``)
        **kwargs: passed to :class:`~torch.utils.data.DataLoader` (e.g. ``sampler``, ``drop_last``).
    """
    check_positive_int("batch_size", batch_size)
    num_neighbors = check_num_neighbors(num_neighbors)
    if backend not in SAMPLER_BACKENDS:
        raise ValueError(f"backend must be one of {SAMPLER_BACKENDS}, got {backend!r}")
    if backend == "pyg" or (backend == "auto" and pyg_sampler_available()):
        from torch_geometric.sampler import NeighborSampler

        sampler = NeighborSampler(data, num_neighbors=num_neighbors)
    else:
        sampler = TorchNeighborSampler(data, num_neighbors, generator=generator)
    if kwargs.get("sampler") is not None:
        shuffle = False
    return NodeLoader(data, node_sampler=sampler, input_nodes=input_nodes, batch_size=batch_size,
                      shuffle=shuffle, generator=generator if kwargs.get("sampler") is None else None, **kwargs)
