"""Feature shuffling: the corruption of Deep Graph Infomax (Veličković et al., ICLR 2019,
https://arxiv.org/abs/1809.10341)."""
from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.data import Data

from graphcl.augment._graph import check_finite_features, check_graph_mask, layout, new_like, random_rank
from graphcl.augment.base import Augmentation


def shuffle_node_features(data: Data, generator: torch.Generator | None = None,
                          keys: tuple[str, ...] = ("x",), graph_mask: Tensor | None = None) -> Data:
    r"""Permute the rows of the node features, keeping the graph structure (DGI's corruption).

    On a :class:`~torch_geometric.data.Batch` each graph's rows are permuted among its own nodes, so every
    graph keeps its multiset of feature rows.

    Args:
        data (Data or Batch): input graph(s) with features of shape ``[N, F]``; not modified.
        generator (torch.Generator, optional): source of randomness. (default: :obj:`None`)
        keys (tuple of str, optional): node fields permuted together (same permutation).
            (default: :obj:`("x",)`)
        graph_mask (Tensor, optional): boolean ``[B]``, the graphs to augment; the others come back
            unchanged. (default: :obj:`None`, all graphs)

    Returns:
        A new object of the same type in which ``data[key][i]`` is the row of a random node of the same
        graph.

    Raises:
        ValueError: if a field is missing, does not have ``N`` rows, or holds NaN values.
    """
    info = layout(data)
    graph_mask = check_graph_mask(graph_mask, info)
    check_finite_features(data, keys)
    for key in keys:
        if data[key].size(0) != info.num_nodes:
            raise ValueError(f"field {key!r} has {data[key].size(0)} rows but the graph has {info.num_nodes} nodes")
    rank, _ = random_rank(info.node_graph, info.num_graphs, generator)
    # Node i takes the features of the node ranked at i's position within the same graph.
    by_graph = torch.argsort(info.node_graph, stable=True)
    position = torch.empty_like(by_graph)
    position[by_graph] = torch.arange(info.num_nodes, device=by_graph.device)
    offsets = torch.cumsum(info.node_counts, 0) - info.node_counts
    source_of_slot = torch.empty_like(by_graph)
    source_of_slot[offsets[info.node_graph] + rank] = torch.arange(info.num_nodes, device=by_graph.device)
    source = source_of_slot[position]
    if graph_mask is not None:
        source = torch.where(graph_mask[info.node_graph], source, torch.arange(info.num_nodes, device=source.device))
    out = new_like(data)
    for key in keys:
        out[key] = data[key][source]
    return out


class ShuffleNodeFeatures(Augmentation):
    r"""Transform form of :func:`shuffle_node_features` (DGI's corruption function).

    Args:
        generator (torch.Generator, optional): source of randomness. (default: :obj:`None`)
        keys (tuple of str, optional): node fields permuted together. (default: :obj:`("x",)`)
    """

    def __init__(self, generator: torch.Generator | None = None, keys: tuple[str, ...] = ("x",)) -> None:
        super().__init__(None, generator)
        self.keys = tuple(keys)

    def forward(self, data: Data) -> Data:
        return shuffle_node_features(data, generator=self.generator, keys=self.keys)

    def _forward_graphs(self, data: Data, graph_mask: Tensor) -> Data:
        return shuffle_node_features(data, generator=self.generator, keys=self.keys, graph_mask=graph_mask)

    def _extra_repr(self) -> str:
        return "" if self.keys == ("x",) else f"keys={self.keys}"
