"""Edge dropping (GraphCL, You et al., NeurIPS 2020, https://arxiv.org/abs/2010.13902)."""
from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.data import Data

from graphcl.augment._graph import (check_graph_mask, check_ratio, choose_per_group, has_edges, layout, new_like,
                                   only_in, select_edges, share, undirected_pairs)
from graphcl.augment.base import Augmentation


def choose_dropped_edges(data: Data, info, p: float, generator: torch.Generator | None,
                         graph_mask: Tensor | None = None):
    """Which edges to drop: ``round(p * m)`` of the ``m`` edges of every graph.

    When every edge has its reverse (an undirected graph), ``m`` counts unordered pairs and a dropped pair
    loses both directions, so the graph stays undirected. Graphs outside ``graph_mask`` lose nothing.

    Returns:
        ``(edge_keep, num_dropped, undirected)``: mask of kept edges ``[E]``, dropped edges (pairs when
        undirected) per graph ``[B]``, and the undirectedness flag.
    """
    edge_index = data.edge_index
    unit_of_edge, unit_edge, undirected = undirected_pairs(edge_index, info.num_nodes)
    unit_graph = info.edge_graph[unit_edge] if undirected else info.edge_graph
    counts = torch.bincount(unit_graph, minlength=info.num_graphs)
    num_drop = only_in(graph_mask, share(counts, p))
    unit_keep = ~choose_per_group(unit_graph, info.num_graphs, num_drop, generator, counts)
    edge_keep = unit_keep[unit_of_edge] if undirected else unit_keep
    return edge_keep, num_drop, undirected


def drop_edges(data: Data, p: float = 0.2, generator: torch.Generator | None = None,
               graph_mask: Tensor | None = None) -> Data:
    r"""Remove a random share ``p`` of the edges of every graph (nodes untouched).

    Each graph with :math:`m` edges loses :math:`\mathrm{round}(p\,m)` of them; an undirected graph (every
    edge stored in both directions) loses whole pairs and stays undirected. Edge-level fields
    (``edge_attr``, edge weights) follow their edges.

    Args:
        data (Data or Batch): input graph(s); not modified.
        p (float, optional): share of edges to drop, in :math:`[0, 1]`. (default: :obj:`0.2`)
        generator (torch.Generator, optional): source of randomness. (default: :obj:`None`)
        graph_mask (Tensor, optional): boolean ``[B]``, the graphs to augment; the others come back
            unchanged. (default: :obj:`None`, all graphs)

    Returns:
        A new object of the same type with ``E' <= E`` edges and the same nodes.
    """
    p = check_ratio(p)
    info = layout(data)
    graph_mask = check_graph_mask(graph_mask, info)
    if not has_edges(data) or info.num_edges == 0:
        return new_like(data)
    edge_keep, _, _ = choose_dropped_edges(data, info, p, generator, graph_mask)
    return select_edges(data, info, edge_keep)


class DropEdges(Augmentation):
    r"""Transform form of :func:`drop_edges`.

    Args:
        p (float, optional): share of edges to drop per graph. (default: :obj:`0.2`)
        generator (torch.Generator, optional): source of randomness. (default: :obj:`None`)
    """

    def __init__(self, p: float = 0.2, generator: torch.Generator | None = None) -> None:
        super().__init__(p, generator)

    def forward(self, data: Data) -> Data:
        return drop_edges(data, self.p, generator=self.generator)

    def _forward_graphs(self, data: Data, graph_mask: Tensor) -> Data:
        return drop_edges(data, self.p, generator=self.generator, graph_mask=graph_mask)
