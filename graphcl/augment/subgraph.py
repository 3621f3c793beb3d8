"""Subgraph sampling by neighbourhood expansion (GraphCL, You et al., NeurIPS 2020,
https://arxiv.org/abs/2010.13902)."""
from __future__ import annotations

import math

import torch
from torch import Tensor
from torch_geometric.data import Data

from graphcl.augment._graph import (check_graph_mask, check_ratio, choose_per_group, has_edges, is_sorted, layout,
                                   rand, select_nodes, share)
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
        order = torch.argsort(src)
        src, dst = src[order], dst[order]
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


def _one_per_group(values: Tensor, group: Tensor, num_groups: int) -> Tensor:
    """Mask of the element with the smallest value in each group (values are distinct random draws)."""
    smallest = torch.full((num_groups,), math.inf, device=values.device)
    smallest = smallest.scatter_reduce(0, group, values, reduce="amin")
    return values == smallest[group]


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
    All graphs of a batch grow together, a few tensor operations per round.

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
    node_graph, num_graphs, num_nodes = info.node_graph, info.num_graphs, info.num_nodes
    device = node_graph.device
    counts = info.node_counts
    target = counts - torch.minimum(share(counts, p), counts - 1)
    grouped = is_sorted(node_graph)
    seeds = choose_per_group(node_graph, num_graphs, torch.ones_like(counts), generator, counts, grouped)
    # One extra always-inside slot: the padding sink of the neighbour table.
    inside = torch.cat([seeds, seeds.new_ones(1)])
    arrival = torch.zeros(num_nodes, dtype=torch.float64, device=device)
    size = torch.ones_like(counts)
    active = size < target
    if graph_mask is not None:
        active = active & graph_mask
    neighbours = _Neighbours(data.edge_index, num_nodes) if has_edges(data) and data.edge_index.numel() else None
    frontier = torch.zeros(num_nodes + 1, dtype=torch.bool, device=device)
    added = seeds.nonzero().flatten()
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
        draw = rand(candidates.numel(), generator, device)
        joins = (draw < expansion_rate) | _one_per_group(draw, candidate_graph, num_graphs)
        added = candidates[joins]
        stuck = active & (torch.bincount(candidate_graph, minlength=num_graphs) == 0)
        if bool(stuck.any()):
            if restart:
                # A new seed: one random node outside the subgraph, in every exhausted graph.
                outside = (~inside[:num_nodes] & stuck[node_graph]).nonzero().flatten()
                outside_graph = node_graph[outside]
                seeds = outside[_one_per_group(rand(outside.numel(), generator, device), outside_graph, num_graphs)]
                added = torch.cat([added, seeds])
            else:
                active = active & ~stuck
        inside[added] = True
        arrival[added] = float(step)
        size = size + torch.bincount(node_graph[added], minlength=num_graphs)
        active = active & (size < target)
    # Keep the earliest arrivals; ties inside a graph's last round are broken at random.
    keys = torch.where(inside[:num_nodes], arrival + rand(num_nodes, generator, device).double(),
                       torch.full_like(arrival, math.inf))
    keep = choose_per_group(node_graph, num_graphs, torch.minimum(target, size), generator, counts, grouped, keys)
    if graph_mask is not None:
        keep = keep | ~graph_mask[node_graph]
    return select_nodes(data, info, keep)


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

    def _extra_repr(self) -> str:
        parts = []
        if self.expansion_rate != 0.5:
            parts.append(f"expansion_rate={self.expansion_rate:g}")
        if not self.restart:
            parts.append("restart=False")
        return ", ".join(parts)
