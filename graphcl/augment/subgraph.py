"""Subgraph sampling by neighbourhood expansion (GraphCL, You et al., NeurIPS 2020,
https://arxiv.org/abs/2010.13902)."""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor
from torch_geometric.data import Data

from graphcl.augment._graph import (GraphLayout, check_graph_mask, check_ratio, choose_per_group, has_edges, layout,
                                   rand, random_rank, select_nodes, share)
from graphcl.augment.base import Augmentation


def _check_rate(expansion_rate: float) -> float:
    expansion_rate = check_ratio(expansion_rate, "expansion_rate")
    if expansion_rate == 0.0:
        raise ValueError("expansion_rate must be > 0")
    return expansion_rate


class _Neighbours:
    """Neighbour lists (edges read in both directions) for expanding around a set of nodes.

    A padded ``[N + 1, max_degree]`` table (padding points at the sink slot ``N``) when degrees are
    balanced, as in molecules; CSR otherwise.
    """

    def __init__(self, edge_index: Tensor, num_nodes: int) -> None:
        row, col = edge_index
        src, dst = torch.cat([row, col]), torch.cat([col, row])
        src, order = torch.sort(src, stable=True)
        dst = dst[order]
        self.num_nodes = num_nodes
        self.degree = torch.bincount(src, minlength=num_nodes)
        self.rowptr = torch.cumsum(self.degree, 0) - self.degree
        width = int(self.degree.max()) if src.numel() else 0
        if (num_nodes + 1) * width <= 4 * src.numel() + 1024:
            self.table = torch.full((num_nodes + 1, max(width, 1)), num_nodes, dtype=torch.long,
                                    device=src.device)
            self.table[src, torch.arange(src.numel(), device=src.device) - self.rowptr[src]] = dst
        else:
            self.table = None
            self.targets = dst

    def of(self, nodes: Tensor) -> Tensor:
        """Neighbours of ``nodes`` with repetitions (and, for the padded table, the sink ``N``)."""
        if self.table is not None:
            return self.table[nodes].flatten()
        count = self.degree[nodes]
        total = int(count.sum())
        segment = torch.repeat_interleave(torch.arange(nodes.numel(), device=nodes.device), count)
        offset = torch.arange(total, device=nodes.device) - (torch.cumsum(count, 0) - count)[segment]
        return self.targets[self.rowptr[nodes][segment] + offset]


class _Uniforms:
    """Uniform draws in [0, 1) from ``generator``, taken in blocks (one generator call per block instead of one
    per round); numbers left in a block are discarded, so every draw stays independent and uniform."""

    def __init__(self, generator: torch.Generator | None, device: torch.device, block: int) -> None:
        self.generator, self.device, self.block = generator, device, max(int(block), 1)
        self.values = rand(0, generator, device)
        self.array: np.ndarray | None = None
        self.position = 0

    def _reserve(self, n: int) -> None:
        if self.position + n > self.values.numel():
            self.values = rand(max(n, self.block), self.generator, self.device)
            self.array = None
            self.position = 0
        self.position += n

    def take(self, n: int) -> Tensor:
        self._reserve(n)
        return self.values[self.position - n:self.position]

    def take_numpy(self, n: int) -> np.ndarray:
        """:meth:`take` as a NumPy array (CPU only); the same draws, without the method call of
        :meth:`_reserve` (this runs once per growth round)."""
        end = self.position + n
        if end > self.values.shape[0]:
            self._reserve(n)
            end = self.position
        elif self.array is not None:
            self.position = end
            return self.array[end - n:end]
        else:
            self.position = end
        if self.array is None:
            self.array = self.values.numpy()
        return self.array[end - n:end]


def _one_per_group(values: Tensor, group: Tensor, num_groups: int) -> Tensor:
    """Mask of the element with the smallest value in each group (values are distinct random draws)."""
    smallest = torch.full((num_groups,), math.inf, device=values.device)
    smallest = smallest.scatter_reduce(0, group, values, reduce="amin")
    return values == smallest[group]


def _one_per_group_np(values: np.ndarray, group: np.ndarray, num_groups: int) -> np.ndarray:
    smallest = np.full(num_groups, np.inf, dtype=values.dtype)
    np.minimum.at(smallest, group, values)
    return values == smallest[group]


def _numpy_neighbours(edge_index: Tensor, num_nodes: int, edge_keep: np.ndarray | None):
    """:class:`_Neighbours` in NumPy, for the edges in ``edge_keep`` only: ``(table, None, None, None)``
    (padded ``[N + 1, D]``, padding ``N``) or ``(None, rowptr, degree, targets)`` (CSR)."""
    edges = edge_index.numpy()
    first, second = edges[0], edges[1]
    if edge_keep is not None:  # one row at a time: far faster than a 2-D boolean index
        first, second = first[edge_keep], second[edge_keep]
    src = np.concatenate([first, second])
    dst = np.concatenate([second, first])
    order = np.argsort(src, kind="stable")
    src, dst = src[order], dst[order]
    degree = np.bincount(src, minlength=num_nodes)
    rowptr = np.cumsum(degree) - degree
    width = int(degree.max()) if src.size else 0
    if (num_nodes + 1) * width <= 4 * src.size + 1024:
        width = max(width, 1)
        table = np.full((num_nodes + 1, width), num_nodes, dtype=np.int64)
        table.reshape(-1)[src * width + (np.arange(src.size) - rowptr[src])] = dst  # flat: cheaper than 2-D
        return table, None, None, None
    return None, rowptr, degree, dst


def _grow_numpy(info, edge_index: Tensor | None, seeds: Tensor, target: Tensor, active: Tensor,
                expansion_rate: float, restart: bool, generator: torch.Generator | None):
    """:func:`_grow_listed` on CPU with NumPy arrays: the same rounds and the same random draws, taken from
    ``generator`` in the same order (so both give the same result), at a fraction of the per-operation
    overhead, which dominates on small molecular graphs where a batch needs tens of rounds. Only the edges
    of the growing graphs are indexed."""
    node_graph = info.node_graph.numpy()
    num_graphs, num_nodes = info.num_graphs, info.num_nodes
    device = info.node_graph.device
    table = rowptr = degree = targets = None
    has_neighbours = edge_index is not None
    if has_neighbours:
        edge_keep = active.numpy()[info.edge_graph.numpy()]
        table, rowptr, degree, targets = _numpy_neighbours(edge_index, num_nodes, edge_keep)
    target = target.numpy()
    active = active.numpy().copy()
    seeds = seeds.numpy()
    # ``eligible``: outside the subgraph in a graph still growing (the padding slot ``N`` never is).
    eligible = np.append(~seeds & active[node_graph], False)
    arrival = np.zeros(num_nodes, dtype=np.float64)
    size = np.ones(num_graphs, dtype=np.int64)
    frontier = np.zeros(num_nodes + 1, dtype=bool)
    added = seeds.nonzero()[0]
    uniforms = _Uniforms(generator, device, 4 * num_nodes)
    infinity = np.full(num_graphs, np.inf, dtype=np.float32)
    # The draws are float32: ``draw < expansion_rate`` holds exactly when ``draw <= below_rate``, the largest
    # float32 passing that same comparison.
    rate32 = np.full(1, expansion_rate, dtype=np.float32)
    below_rate = rate32 if bool((rate32 < expansion_rate)[0]) else np.nextafter(rate32, np.float32(-np.inf))
    num_active = int(np.count_nonzero(active))
    step = 0
    while num_active:
        if has_neighbours and added.size:
            if table is not None:
                frontier[table.take(added, axis=0)] = True
            else:
                count = degree[added]
                first = np.repeat(rowptr[added] - (np.cumsum(count) - count), count)
                frontier[targets[first + np.arange(first.size)]] = True
        step += 1
        candidates = (frontier & eligible).nonzero()[0]
        candidate_graph = node_graph[candidates]
        draw = uniforms.take_numpy(candidates.size)
        smallest = infinity.copy()
        np.minimum.at(smallest, candidate_graph, draw)
        # Each candidate joins with probability r, and the one with the smallest draw always does:
        # draw < r or draw == min (i.e. draw <= min), one comparison against max(min, below_rate).
        added = candidates[draw <= np.maximum(smallest, below_rate)[candidate_graph]]
        if np.count_nonzero(smallest < 2.0) < num_active:
            # Some growing graph has no candidate left (its component is exhausted).
            stuck = active & (smallest == np.inf)
            if restart:
                # A new seed: one random node outside the subgraph, in every exhausted graph.
                pool = ((arrival == 0) & ~seeds & stuck[node_graph]).nonzero()[0]
                pool_graph = node_graph[pool]
                draw = uniforms.take_numpy(pool.size)
                added = np.concatenate([added, pool[_one_per_group_np(draw, pool_graph, num_graphs)]])
            else:
                active &= ~stuck
                num_active = int(np.count_nonzero(active))
                eligible[:num_nodes] &= active[node_graph]
        eligible[added] = False
        arrival[added] = float(step)
        size += np.bincount(node_graph[added], minlength=num_graphs)
        finished = active & (size >= target)
        if np.count_nonzero(finished):
            active &= ~finished
            num_active = int(np.count_nonzero(active))
            eligible[:num_nodes] &= active[node_graph]
    return (torch.from_numpy(seeds | (arrival > 0)), torch.from_numpy(arrival), torch.from_numpy(size))


def _grow_listed(info, neighbours: "_Neighbours | None", seeds: Tensor, target: Tensor, active: Tensor,
                 expansion_rate: float, restart: bool, generator: torch.Generator | None):
    """The growth rounds of :func:`sample_subgraph` on node lists (any layout).

    Returns:
        ``(inside, arrival, size)``: membership ``[N]``, round of arrival ``[N]``, subgraph sizes ``[B]``.
    """
    node_graph, num_graphs, num_nodes = info.node_graph, info.num_graphs, info.num_nodes
    device = node_graph.device
    # One extra always-inside slot: the padding sink of the neighbour table.
    inside = torch.cat([seeds, seeds.new_ones(1)])
    arrival = torch.zeros(num_nodes, dtype=torch.float64, device=device)
    size = torch.ones_like(target)
    frontier = torch.zeros(num_nodes + 1, dtype=torch.bool, device=device)
    added = seeds.nonzero().flatten()
    uniforms = _Uniforms(generator, device, 4 * num_nodes)
    step = 0
    while True:
        # The frontier only ever holds nodes outside the subgraph.
        frontier[added] = False
        if neighbours is not None and added.numel():
            reached = neighbours.of(added)
            frontier[reached[~inside[reached]]] = True
        if not bool(active.any()):
            break
        step += 1
        candidates = frontier[:num_nodes].nonzero().flatten()
        candidate_graph = node_graph[candidates]
        still = active[candidate_graph]
        candidates, candidate_graph = candidates[still], candidate_graph[still]
        draw = uniforms.take(candidates.numel())
        joins = (draw < expansion_rate) | _one_per_group(draw, candidate_graph, num_graphs)
        added = candidates[joins]
        stuck = active & (torch.bincount(candidate_graph, minlength=num_graphs) == 0)
        if bool(stuck.any()):
            if restart:
                # A new seed: one random node outside the subgraph, in every exhausted graph.
                outside = (~inside[:num_nodes] & stuck[node_graph]).nonzero().flatten()
                outside_graph = node_graph[outside]
                seeds = outside[_one_per_group(uniforms.take(outside.numel()), outside_graph, num_graphs)]
                added = torch.cat([added, seeds])
            else:
                active = active & ~stuck
        inside[added] = True
        arrival[added] = float(step)
        size = size + torch.bincount(node_graph[added], minlength=num_graphs)
        active = active & (size < target)
    return inside[:num_nodes], arrival, size


def sample_subgraph(data: Data, p: float = 0.2, generator: torch.Generator | None = None,
                    expansion_rate: float = 0.5, restart: bool = True, graph_mask: Tensor | None = None) -> Data:
    r"""Keep a connected subgraph grown from a random seed node, holding a share ``1 - p`` of the nodes.

    Every graph with :math:`n` nodes keeps :math:`t = n - \min(\mathrm{round}(p\,n),\, n-1)` nodes. The
    subgraph starts at a uniformly random seed node and grows in rounds: each node of its frontier (the
    nodes adjacent to it, edges read in both directions) joins with probability ``expansion_rate``, and at
    least one random frontier node joins per round. :math:`r \to 0` therefore adds one random frontier node
    per round, as the GraphCL paper describes; :math:`r = 1` is breadth-first growth. Once a graph holds at
    least :math:`t` nodes it stops, and the surplus of its last round is dropped at random, so exactly
    :math:`t` nodes remain and every kept node is adjacent to an earlier one (the subgraph is connected).
    All graphs of a batch grow together, a few array operations per round (NumPy on CPU, where the
    per-operation overhead of small tensors dominates; torch elsewhere; both draw the same numbers).

    When a graph's component is exhausted before :math:`t` nodes are reached, ``restart=True`` continues
    from a new random seed outside the subgraph (the kept share is always met, the subgraph may then be
    disconnected); ``restart=False`` stops there and keeps the component.

    (The official GraphCL code never assigns the grown neighbourhood, so it keeps only the seed's 1-hop
    neighbours; this implements the intended behaviour.)

    Args:
        data (Data or Batch): input graph(s); not modified.
        p (float, optional): share of nodes to remove, in :math:`[0, 1]`. (default: :obj:`0.2`)
        generator (torch.Generator, optional): source of randomness. (default: :obj:`None`)
        expansion_rate (float, optional): probability that a frontier node joins in a round, in
            :math:`(0, 1]`. (default: :obj:`0.5`)
        restart (bool, optional): reseed in exhausted components. (default: :obj:`True`)
        graph_mask (Tensor, optional): boolean ``[B]``, the graphs to augment; the others come back
            unchanged. (default: :obj:`None`, all graphs)

    Returns:
        A new object of the same type: the induced subgraph on the kept nodes, fields carried as in
        :func:`~graphcl.augment.drop_nodes`.
    """
    p = check_ratio(p)
    expansion_rate = _check_rate(expansion_rate)
    info = layout(data)
    graph_mask = check_graph_mask(graph_mask, info)
    return select_nodes(data, info, subgraph_keep(data, info, p, generator, expansion_rate, restart, graph_mask))


def subgraph_keep(data: Data, info: GraphLayout, p: float, generator: torch.Generator | None = None,
                  expansion_rate: float = 0.5, restart: bool = True, graph_mask: Tensor | None = None) -> Tensor:
    """The nodes :func:`sample_subgraph` keeps (all nodes of the graphs outside ``graph_mask``), shape ``[N]``."""
    node_graph, num_graphs, num_nodes = info.node_graph, info.num_graphs, info.num_nodes
    device = node_graph.device
    counts = info.node_counts
    target = counts - torch.minimum(share(counts, p), counts - 1)
    grouped = info.nodes_grouped
    if grouped:
        # A uniform seed per graph: node floor(u * n) of each graph.
        local = torch.minimum((rand(num_graphs, generator, device).double() * counts).long(), counts - 1)
        seeds = torch.zeros(num_nodes, dtype=torch.bool, device=device)
        seeds[info.node_offsets + local] = True
    else:
        seeds = choose_per_group(node_graph, num_graphs, torch.ones_like(counts), generator, counts, grouped)
    active = target > 1
    if graph_mask is not None:
        active = active & graph_mask
    edge_index = data.edge_index if has_edges(data) and data.edge_index.numel() else None
    if device.type == "cpu":
        inside, arrival, size = _grow_numpy(info, edge_index, seeds, target, active, expansion_rate, restart,
                                            generator)
        keep = _trim_last_round_numpy(info, inside, arrival, size - target, generator)
    else:
        neighbours = _Neighbours(edge_index, num_nodes) if edge_index is not None else None
        inside, arrival, size = _grow_listed(info, neighbours, seeds, target, active, expansion_rate, restart,
                                             generator)
        keep = _trim_last_round(info, inside, arrival, size - target, generator)
    if graph_mask is not None:
        keep = keep | ~graph_mask[node_graph]
    return keep


def _trim_last_round_numpy(info, inside: Tensor, arrival: Tensor, surplus: Tensor,
                           generator: torch.Generator | None) -> Tensor:
    """:func:`_trim_last_round` with NumPy arrays (CPU tensors in and out)."""
    surplus = surplus.numpy()
    keep = inside.numpy().copy()
    if not np.count_nonzero(surplus > 0):
        return torch.from_numpy(keep)
    node_graph, arrival = info.node_graph.numpy(), arrival.numpy()
    members = keep.nonzero()[0]
    last = np.zeros(info.num_graphs, dtype=arrival.dtype)
    np.maximum.at(last, node_graph[members], arrival[members])
    in_last = (keep & (arrival == last[node_graph]) & (surplus > 0)[node_graph]).nonzero()[0]
    draw = rand(in_last.size, generator, info.node_graph.device).numpy()
    last_graph = node_graph[in_last]
    # Sorted by graph, then by a uniform key: a uniformly random order inside each graph.
    order = np.lexsort((draw, last_graph))
    ordered_graph = last_graph[order]
    rank = np.arange(order.size) - np.searchsorted(ordered_graph, ordered_graph, side="left")
    keep[in_last[order[rank < surplus[ordered_graph]]]] = False
    return torch.from_numpy(keep)


def _trim_last_round(info, inside: Tensor, arrival: Tensor, surplus: Tensor,
                     generator: torch.Generator | None) -> Tensor:
    """Drop ``surplus[g]`` nodes (when positive) chosen uniformly among those that joined graph ``g`` in its
    last round; earlier arrivals all stay.

    Returns:
        The kept nodes, shape ``[N]``.
    """
    node_graph = info.node_graph
    keep = inside.clone()
    over = surplus > 0
    if not bool(over.any()):
        return keep
    last = torch.zeros(info.num_graphs, dtype=arrival.dtype, device=arrival.device)
    last = last.scatter_reduce(0, node_graph, torch.where(inside, arrival, torch.zeros_like(arrival)), reduce="amax")
    in_last = (inside & over[node_graph] & (arrival == last[node_graph])).nonzero().flatten()
    last_graph = node_graph[in_last]
    rank, _ = random_rank(last_graph, info.num_graphs, generator)
    keep[in_last[rank < surplus[last_graph]]] = False
    return keep


class SampleSubgraph(Augmentation):
    r"""Transform form of :func:`sample_subgraph`.

    Args:
        p (float, optional): share of nodes to remove per graph. (default: :obj:`0.2`)
        generator (torch.Generator, optional): source of randomness. (default: :obj:`None`)
        expansion_rate (float, optional): share of the frontier added per round. (default: :obj:`0.5`)
        restart (bool, optional): reseed in exhausted components. (default: :obj:`True`)
    """

    def __init__(self, p: float = 0.2, generator: torch.Generator | None = None, expansion_rate: float = 0.5,
                 restart: bool = True) -> None:
        super().__init__(p, generator)
        self.expansion_rate = _check_rate(expansion_rate)
        self.restart = restart

    def forward(self, data: Data) -> Data:
        return sample_subgraph(data, self.p, generator=self.generator, expansion_rate=self.expansion_rate,
                               restart=self.restart)

    def _forward_graphs(self, data: Data, graph_mask: Tensor) -> Data:
        return sample_subgraph(data, self.p, generator=self.generator, expansion_rate=self.expansion_rate,
                               restart=self.restart, graph_mask=graph_mask)

    def _node_keep(self, data: Data, info: GraphLayout, graph_mask: Tensor) -> Tensor:
        return subgraph_keep(data, info, self.p, self.generator, self.expansion_rate, self.restart, graph_mask)

    def _extra_repr(self) -> str:
        parts = []
        if self.expansion_rate != 0.5:
            parts.append(f"expansion_rate={self.expansion_rate:g}")
        if not self.restart:
            parts.append("restart=False")
        return ", ".join(parts)
