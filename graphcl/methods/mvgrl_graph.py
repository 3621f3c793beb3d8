r"""Graph-level MVGRL (Hassani & Khasahmadi, ICML 2020, https://arxiv.org/abs/2006.05582).

Algorithm (official code ``kavehhassani/mvgrl``, ``graph/train.py``):

1. two views of every graph: its adjacency and its personalized-PageRank diffusion (precomputed per graph,
   :class:`~graphcl.data.GraphPPRDiffusion`, carried as ``diff_edge_index`` / ``diff_edge_weight``);
2. one GCN encoder per view (:class:`~graphcl.nn.GraphGCNEncoder`): last-layer node embeddings, graph
   embeddings from the concatenated per-layer sum pools;
3. a node head and a graph head shared by both views (PReLU :class:`~graphcl.nn.ShortcutMLP`);
4. local-global Jensen-Shannon MI across views: the nodes of view 1 against the graphs of view 2 and the
   nodes of view 2 against the graphs of view 1, other graphs of the batch as negatives.

The frozen graph embedding is the sum of both views' graph-head outputs, as the official ``embed``.
"""
from __future__ import annotations

from typing import Callable, ClassVar, Optional

import torch
from torch import Tensor, nn
from torch_geometric.data import Data

from graphcl.losses.jensen_shannon import LocalGlobalJensenShannonLoss
from graphcl.methods.base import Method, encode, encoder_channels
from graphcl.nn.output import EncoderOutput
from graphcl.nn.projection import ShortcutMLP

LocalGlobalLoss = Callable[[Tensor, Tensor, Tensor], Tensor]


def diffusion_view(batch: Data) -> Data:
    """The diffusion view of ``batch``: its node features and ``batch`` vector with ``diff_edge_index`` /
    ``diff_edge_weight`` as the edges."""
    if getattr(batch, "diff_edge_index", None) is None or getattr(batch, "diff_edge_weight", None) is None:
        raise ValueError("the graphs carry no diffusion: prepare the dataset with "
                         "graphcl.data.with_ppr_diffusion (or the GraphPPRDiffusion transform)")
    view = Data(x=batch.x, edge_index=batch.diff_edge_index, edge_weight=batch.diff_edge_weight)
    index = getattr(batch, "batch", None)
    if index is not None:
        view.batch = index
        view.num_graphs = batch.num_graphs
    return view


class GraphMVGRL(Method):
    r"""Graph-level MVGRL: adjacency view vs diffusion view, cross-view local-global JSD.

    Args:
        adjacency_encoder (nn.Module): encoder of the adjacency view, returning node ``[N, H]`` and graph
            ``[B, out_channels]`` embeddings, with a ``node_channels`` attribute ``H``
            (e.g. ``GraphGCNEncoder(F, 512, 4)``).
        diffusion_encoder (nn.Module): encoder of the diffusion view, same sizes
            (e.g. ``GraphGCNEncoder(F, 512, 4, normalize=False)``).
        node_head (nn.Module, optional): shared node head.
            (default: ``ShortcutMLP(H, H, "prelu", xavier=False)``)
        graph_head (nn.Module, optional): shared graph head.
            (default: ``ShortcutMLP(out_channels, H, "prelu", xavier=False)``)
        loss (callable, optional): ``(node, graph, batch) -> scalar``.
            (default: :class:`~graphcl.losses.LocalGlobalJensenShannonLoss`)
        generator (torch.Generator, optional): unused (nothing is drawn at random); kept for the contract.

    Example:
        >>> from graphcl.nn import GraphGCNEncoder
        >>> model = GraphMVGRL(GraphGCNEncoder(7, 512), GraphGCNEncoder(7, 512, normalize=False))
    """

    embedding_level: ClassVar[str] = "graph"

    def __init__(self, adjacency_encoder: nn.Module, diffusion_encoder: nn.Module,
                 node_head: Optional[nn.Module] = None, graph_head: Optional[nn.Module] = None,
                 loss: Optional[LocalGlobalLoss] = None, generator: Optional[torch.Generator] = None) -> None:
        super().__init__(generator)
        channels = encoder_channels(adjacency_encoder)
        if encoder_channels(diffusion_encoder) != channels:
            raise ValueError("the two encoders must give graph embeddings of the same size")
        node_channels = getattr(adjacency_encoder, "node_channels", channels)
        if getattr(diffusion_encoder, "node_channels", channels) != node_channels:
            raise ValueError("the two encoders must give node embeddings of the same size")
        if loss is not None and not callable(loss):
            raise TypeError("loss must be a callable (node_embeddings, graph_embeddings, batch) -> scalar")
        self.adjacency_encoder = adjacency_encoder
        self.diffusion_encoder = diffusion_encoder
        self.node_head = node_head if node_head is not None else ShortcutMLP(node_channels, node_channels,
                                                                             "prelu", xavier=False)
        self.graph_head = graph_head if graph_head is not None else ShortcutMLP(channels, node_channels,
                                                                                "prelu", xavier=False)
        self.loss_fn = loss if loss is not None else LocalGlobalJensenShannonLoss()

    def encode_views(self, batch: Data) -> tuple[EncoderOutput, EncoderOutput]:
        """Encoder outputs of the adjacency view and of the diffusion view."""
        return encode(self.adjacency_encoder, batch), encode(self.diffusion_encoder, diffusion_view(batch))

    def loss(self, batch: Data) -> Tensor:
        """Cross-view local-global JSD, both directions summed (lower is better)."""
        index = getattr(batch, "batch", None)
        if index is None:
            raise ValueError("MVGRL needs a Batch of several graphs (negatives are the other graphs)")
        adjacency, diffusion = self.encode_views(batch)
        nodes_a, nodes_d = self.node_head(adjacency.node), self.node_head(diffusion.node)
        graphs_a, graphs_d = self.graph_head(adjacency.graph), self.graph_head(diffusion.graph)
        return self.loss_fn(nodes_a, graphs_d, index) + self.loss_fn(nodes_d, graphs_a, index)

    def embedding(self, batch: Data) -> Tensor:
        """Sum of both views' graph-head outputs ``[B, H]`` (the official embedding)."""
        adjacency, diffusion = self.encode_views(batch)
        return self.graph_head(adjacency.graph) + self.graph_head(diffusion.graph)
