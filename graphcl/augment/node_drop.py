"""Node dropping (GraphCL, You et al., NeurIPS 2020, https://arxiv.org/abs/2010.13902)."""
from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.data import Data

from graphcl.augment._graph import (GraphLayout, check_graph_mask, check_ratio, choose_per_group, layout, only_in,
                                   select_nodes, share)
from graphcl.augment.base import Augmentation


def drop_nodes(data: Data, p: float = 0.2, generator: torch.Generator | None = None,
               graph_mask: Tensor | None = None) -> Data:
    r"""Remove a random share ``p`` of the nodes of every graph, with their edges.

    Each graph with :math:`n` nodes loses :math:`\min(\mathrm{round}(p\,n),\, n-1)` nodes chosen uniformly
    (so at least one node survives); on a :class:`~torch_geometric.data.Batch` every graph loses its own
    share. Node-level fields (``x``, ``pos``, node labels, ``batch``) and edge-level fields (``edge_attr``)
    are subset consistently and edge indices are renumbered. The official code floors :math:`p\,n`; this
    rounds it.

    Args:
        data (Data or Batch): input graph(s) with ``N`` nodes and ``E`` edges; not modified.
        p (float, optional): share of nodes to drop, in :math:`[0, 1]`. (default: :obj:`0.2`)
        generator (torch.Generator, optional): source of randomness. (default: :obj:`None`)
        graph_mask (Tensor, optional): boolean ``[B]``, the graphs to augment; the others come back
            unchanged. (default: :obj:`None`, all graphs)

    Returns:
        A new object of the same type with ``N' <= N`` nodes.

    Raises:
        ValueError: if ``p`` lies outside :math:`[0, 1]` or a graph has no nodes.

    Example:
        >>> data = Data(x=torch.randn(10, 3), edge_index=torch.tensor([[0, 1], [1, 0]]))
        >>> drop_nodes(data, p=0.3).num_nodes
        7
    """
    p = check_ratio(p)
    info = layout(data)
    graph_mask = check_graph_mask(graph_mask, info)
    return select_nodes(data, info, drop_nodes_keep(info, p, generator, graph_mask))


def drop_nodes_keep(info: GraphLayout, p: float, generator: torch.Generator | None = None,
                    graph_mask: Tensor | None = None) -> Tensor:
    """The nodes :func:`drop_nodes` keeps (all nodes of the graphs outside ``graph_mask``), shape ``[N]``."""
    counts = info.node_counts
    num_drop = only_in(graph_mask, torch.minimum(share(counts, p), counts - 1))
    return ~choose_per_group(info.node_graph, info.num_graphs, num_drop, generator, counts, info.nodes_grouped)


class DropNodes(Augmentation):
    r"""Transform form of :func:`drop_nodes`.

    Args:
        p (float, optional): share of nodes to drop per graph. (default: :obj:`0.2`)
        generator (torch.Generator, optional): source of randomness. (default: :obj:`None`)
    """

    def __init__(self, p: float = 0.2, generator: torch.Generator | None = None) -> None:
        super().__init__(p, generator)

    def forward(self, data: Data) -> Data:
        return drop_nodes(data, self.p, generator=self.generator)

    def _forward_graphs(self, data: Data, graph_mask: Tensor) -> Data:
        return drop_nodes(data, self.p, generator=self.generator, graph_mask=graph_mask)

    def _node_keep(self, data: Data, info: GraphLayout, graph_mask: Tensor) -> Tensor:
        return drop_nodes_keep(info, self.p, self.generator, graph_mask)
