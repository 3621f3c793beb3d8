"""Subgraph sampling by neighbourhood expansion (GraphCL, You et al., NeurIPS 2020,
https://arxiv.org/abs/2010.13902)."""
from __future__ import annotations

import torch
from torch_geometric.data import Data

from graphcl.augment._graph import check_ratio, has_edges, layout, random_rank, select_nodes, share
from graphcl.augment.base import Augmentation


def _check_rate(expansion_rate: float) -> float:
    expansion_rate = check_ratio(expansion_rate, "expansion_rate")
    if expansion_rate == 0.0:
        raise ValueError("expansion_rate must be > 0")
    return expansion_rate


def sample_subgraph(data: Data, p: float = 0.2, generator: torch.Generator | None = None,
                    expansion_rate: float = 0.5, restart: bool = True) -> Data:
    r"""Keep a connected subgraph grown from a random seed node, holding a share ``1 - p`` of the nodes.

    Every graph with :math:`n` nodes keeps :math:`t = n - \min(\mathrm{round}(p\,n),\, n-1)` nodes. The
    subgraph starts at a uniformly random seed node; each round adds
    :math:`\min(t - s,\ \max(1, \lceil r\,|F|\rceil))` random nodes of its frontier :math:`F` (the nodes
    adjacent to it, edges read in both directions), where :math:`s` is its current size and :math:`r` the
    ``expansion_rate``. :math:`r \to 0` adds one random frontier node per round as the GraphCL paper
    describes; :math:`r = 1` is breadth-first growth cut at random in the last layer. All graphs of a batch
    grow together, one tensor operation per round.

    When a graph's component is exhausted before :math:`t` nodes are reached, ``restart=True`` continues
    from a new random seed outside the subgraph (the kept share is always met, the subgraph may then be
    disconnected); ``restart=False`` stops there and keeps the component.

    (The official GraphCL code never assigns the grown neighbourhood, so it keeps only the seed's 1-hop
    neighbours; this implements the intended behaviour.)

    Args:
        data (Data or Batch): input graph(s); not modified.
        p (float, optional): share of nodes to remove, in :math:`[0, 1]`. (default: :obj:`0.2`)
        generator (torch.Generator, optional): source of randomness. (default: :obj:`None`)
        expansion_rate (float, optional): share of the frontier added per round, in :math:`(0, 1]`.
            (default: :obj:`0.5`)
        restart (bool, optional): reseed in exhausted components. (default: :obj:`True`)

    Returns:
        A new object of the same type: the induced subgraph on the kept nodes, fields carried as in
        :func:`~graphcl.augment.drop_nodes`.
    """
    p = check_ratio(p)
    expansion_rate = _check_rate(expansion_rate)
    info = layout(data)
    node_graph, num_graphs = info.node_graph, info.num_graphs
    counts = info.node_counts
    target = counts - torch.minimum(share(counts, p), counts - 1)
    rank, _ = random_rank(node_graph, num_graphs, generator)
    inside = rank == 0
    remaining = target - 1
    if has_edges(data) and data.edge_index.numel():
        row, col = data.edge_index
        src, dst = torch.cat([row, col]), torch.cat([col, row])
    else:
        src = dst = None
    while bool((remaining > 0).any()):
        frontier = torch.zeros_like(inside)
        if src is not None:
            crossing = inside[src] & ~inside[dst]
            frontier[dst[crossing]] = True
        frontier_size = torch.bincount(node_graph[frontier], minlength=num_graphs)
        quota = torch.ceil(frontier_size.double() * expansion_rate).long().clamp(min=1)
        quota = torch.minimum(quota, remaining)
        stuck = (frontier_size == 0) & (remaining > 0)
        if bool(stuck.any()):
            if not restart:
                remaining = torch.where(stuck, torch.zeros_like(remaining), remaining)
            else:
                # A new seed: one random node outside the subgraph, in every exhausted graph.
                frontier |= stuck[node_graph] & ~inside
                quota = torch.where(stuck, torch.ones_like(quota), quota)
        quota = torch.where(remaining > 0, quota, torch.zeros_like(quota))
        candidates = frontier.nonzero().flatten()
        candidate_graph = node_graph[candidates]
        candidate_rank, _ = random_rank(candidate_graph, num_graphs, generator)
        added = candidates[candidate_rank < quota[candidate_graph]]
        inside[added] = True
        remaining = remaining - torch.bincount(node_graph[added], minlength=num_graphs)
    return select_nodes(data, info, inside)


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

    def _extra_repr(self) -> str:
        parts = []
        if self.expansion_rate != 0.5:
            parts.append(f"expansion_rate={self.expansion_rate:g}")
        if not self.restart:
            parts.append("restart=False")
        return ", ".join(parts)
