r"""MVGRL, node level: contrastive multi-view representation learning on graphs (Hassani & Khasahmadi,
ICML 2020, https://arxiv.org/abs/2006.05582; official code kavehhassani/mvgrl, ``node/train.py``).

Two views of one graph — the normalized adjacency :math:`\hat{A} = D^{-1/2}(A + I)D^{-1/2}` and the
personalized-PageRank diffusion :math:`S` (:func:`graphcl.augment.ppr_diffusion`, sparse) — each have their
own one-layer GCN. The nodes of each view are scored against the summary :math:`\sigma(\mathrm{mean})` of the
*other* view with one bilinear discriminator; negatives are the nodes of the row-shuffled features in each
view, scored against the same summaries; binary cross-entropy over all scores (DGI's loss). Embeddings are
the sum of both encoders' outputs.

As in the official code, a training step can use sampled blocks: ``num_samples`` windows of
``sample_size`` consecutive node ids, each with the rows and columns of both propagation matrices inside the
window (not renormalized), encoded together as disjoint graphs, each with its own summaries.
"""
from __future__ import annotations

from typing import Callable, Optional

import torch
from torch import Tensor, nn
from torch_geometric.data import Data
from torch_geometric.nn.conv.gcn_conv import gcn_norm
from torch_geometric.utils import sort_edge_index

from graphcl.augment.diffusion import PPRDiffusion
from graphcl.losses.binary_cross_entropy import bce_contrastive_loss
from graphcl.methods.base import Method, encoder_channels
from graphcl.methods.dgi import check_finite, node_inputs, row_permutation
from graphcl.nn.discriminator import BilinearDiscriminator
from graphcl.nn.gcn import GCNEncoder, _TensorCache
from graphcl.nn.readout import resolve_readout
from graphcl.utils.checks import check_positive_int

ScoreLoss = Callable[[Tensor, Tensor], Tensor]
Views = tuple[Tensor, Tensor, Tensor, Tensor]


def _check_split_encoder(name: str, encoder: nn.Module) -> None:
    if not (callable(getattr(encoder, "project", None)) and callable(getattr(encoder, "propagate", None))):
        raise TypeError(f"{name} must offer project(x) and propagate(projected, edge_index, edge_weight) "
                        f"(e.g. graphcl.nn.GCNEncoder(..., normalize=False)); got {type(encoder).__name__}")
    if getattr(encoder, "normalize", False):
        raise ValueError(f"{name} must propagate with the given weights (GCNEncoder(..., normalize=False)): "
                         "MVGRL hands it the normalized adjacency and the diffusion ready-made")


class MVGRL(Method):
    r"""Node-level MVGRL on one graph.

    Args:
        adjacency_encoder (nn.Module): encoder of the adjacency view; must offer ``project`` and
            ``propagate`` and use the edge weights as given (:class:`~graphcl.nn.GCNEncoder` with
            ``normalize=False``; the official model: 1 layer, 512 units, PReLU).
        diffusion_encoder (nn.Module): encoder of the diffusion view, same requirements and size.
        diffusion (callable, optional): ``diffusion(data) -> data`` setting ``diff_edge_index`` and
            ``diff_edge_weight``. Computed once per graph and cached.
            (default: :class:`~graphcl.augment.PPRDiffusion` ``(alpha=0.2, eps=1e-4)``)
        sample_size (int, optional): nodes per sampled block; ``None`` (or a graph no larger) trains on the
            full graph. (default: :obj:`2000`, official)
        num_samples (int, optional): blocks per step. (default: :obj:`4`, official)
        readout (str or callable, optional): summary function. (default: :obj:`"sigmoid_mean"`)
        loss (callable, optional): ``loss(pos_logits, neg_logits) -> scalar``.
            (default: :func:`graphcl.losses.bce_contrastive_loss`)
        generator (torch.Generator, optional): draws the blocks and the shuffles. (default: :obj:`None`)

    Shapes:
        - :meth:`loss`: ``data.x`` ``[N, F]``, ``data.edge_index`` ``[2, E]`` -> scalar
        - :meth:`embed`: -> ``[N, d]`` (sum of both encoders)
    """

    embedding_level = "node"

    def __init__(self, adjacency_encoder: nn.Module, diffusion_encoder: nn.Module,
                 diffusion: Optional[Callable[[Data], Data]] = None, sample_size: Optional[int] = 2000,
                 num_samples: int = 4, readout: str | Callable = "sigmoid_mean",
                 loss: Optional[ScoreLoss] = None, generator: Optional[torch.Generator] = None) -> None:
        super().__init__(generator)
        _check_split_encoder("adjacency_encoder", adjacency_encoder)
        _check_split_encoder("diffusion_encoder", diffusion_encoder)
        channels = encoder_channels(adjacency_encoder)
        if encoder_channels(diffusion_encoder) != channels:
            raise ValueError("both encoders must have the same out_channels")
        check_positive_int("sample_size", sample_size, optional=True)
        check_positive_int("num_samples", num_samples)
        if loss is not None and not callable(loss):
            raise TypeError("loss must be a callable (pos_logits, neg_logits) -> scalar")
        self.adjacency_encoder = adjacency_encoder
        self.diffusion_encoder = diffusion_encoder
        self.diffusion = diffusion if diffusion is not None else PPRDiffusion(alpha=0.2, eps=1e-4)
        self.sample_size = sample_size
        self.num_samples = num_samples
        self.readout = resolve_readout(readout)
        self.discriminator = BilinearDiscriminator(channels)
        self.loss_fn = loss if loss is not None else bce_contrastive_loss
        self._views = _TensorCache(size=4)

    @property
    def in_channels(self) -> Optional[int]:
        return getattr(self.adjacency_encoder, "in_channels", None)

    def views(self, data: Data) -> Views:
        """``(adj_index, adj_weight, diff_index, diff_weight)``: both propagation matrices as weighted edges
        sorted by target, computed once per ``edge_index`` tensor and cached."""
        _, edge_index = node_inputs(data, self.in_channels)
        num_nodes = data.num_nodes

        def build() -> Views:
            index, weight = gcn_norm(edge_index, getattr(data, "edge_weight", None), num_nodes,
                                     add_self_loops=True)
            index, weight = sort_edge_index(index, weight, num_nodes, sort_by_row=False)
            diffused = self.diffusion(Data(edge_index=edge_index, num_nodes=num_nodes,
                                           edge_weight=getattr(data, "edge_weight", None)))
            d_index, d_weight = sort_edge_index(diffused.diff_edge_index, diffused.diff_edge_weight,
                                                num_nodes, sort_by_row=False)
            return index, weight.float(), d_index, d_weight.float()

        return self._views.get(edge_index, (num_nodes,), build)

    def blocks(self, num_nodes: int, device: torch.device) -> Optional[Tensor]:
        """First node id of every sampled block ``[num_samples]``, or ``None`` for the full graph."""
        if self.sample_size is None or self.sample_size >= num_nodes:
            return None
        starts = torch.randint(0, num_nodes - self.sample_size + 1, (self.num_samples,), generator=self.generator)
        return starts.to(device)

    @staticmethod
    def _block_edges(index: Tensor, weight: Tensor, starts: Tensor, size: int) -> tuple[Tensor, Tensor]:
        """Edges inside each window ``[start, start + size)``, renumbered into the disjoint union of the
        windows (window ``b`` holds nodes ``b * size ...``); ``index`` must be sorted by target."""
        target = index[1]
        parts_index, parts_weight = [], []
        for block, start in enumerate(starts.tolist()):
            lo, hi = torch.searchsorted(target, torch.tensor([start, start + size], device=target.device))
            sub_index, sub_weight = index[:, lo:hi], weight[lo:hi]
            inside = (sub_index[0] >= start) & (sub_index[0] < start + size)
            parts_index.append(sub_index[:, inside] - start + block * size)
            parts_weight.append(sub_weight[inside])
        return torch.cat(parts_index, 1), torch.cat(parts_weight)

    def _summary(self, h: Tensor, batch: Optional[Tensor]) -> Tensor:
        if batch is None:
            return self.readout(h)
        return self.readout(h, batch).index_select(0, batch)

    def loss(self, data: Data) -> Tensor:
        """MVGRL's objective on ``data`` (sampled blocks or the full graph)."""
        x, _ = node_inputs(data, self.in_channels)
        adj_index, adj_weight, diff_index, diff_weight = self.views(data)
        projected_adj = self.adjacency_encoder.project(x)
        projected_diff = self.diffusion_encoder.project(x)
        starts = self.blocks(x.size(0), x.device)
        batch = None
        if starts is not None:
            size = self.sample_size
            nodes = (starts.unsqueeze(1) + torch.arange(size, device=x.device)).reshape(-1)
            batch = torch.arange(starts.numel(), device=x.device).repeat_interleave(size)
            projected_adj = projected_adj.index_select(0, nodes)
            projected_diff = projected_diff.index_select(0, nodes)
            adj_index, adj_weight = self._block_edges(adj_index, adj_weight, starts, size)
            diff_index, diff_weight = self._block_edges(diff_index, diff_weight, starts, size)
        shuffle = row_permutation(Data(num_nodes=projected_adj.size(0), batch=batch), self.generator).to(x.device)
        h_adj = self.adjacency_encoder.propagate(projected_adj, adj_index, adj_weight).node
        h_diff = self.diffusion_encoder.propagate(projected_diff, diff_index, diff_weight).node
        n_adj = self.adjacency_encoder.propagate(projected_adj[shuffle], adj_index, adj_weight).node
        n_diff = self.diffusion_encoder.propagate(projected_diff[shuffle], diff_index, diff_weight).node
        s_adj, s_diff = self._summary(h_adj, batch), self._summary(h_diff, batch)
        positive = torch.cat([self.discriminator(h_diff, s_adj), self.discriminator(h_adj, s_diff)])
        negative = torch.cat([self.discriminator(n_diff, s_adj), self.discriminator(n_adj, s_diff)])
        return self.loss_fn(positive, negative)

    def embedding(self, data: Data) -> Tensor:
        """Node embeddings ``[N, d]``: adjacency encoder + diffusion encoder on the full graph."""
        x, _ = node_inputs(data, self.in_channels)
        check_finite(x)
        adj_index, adj_weight, diff_index, diff_weight = self.views(data)
        h_adj = self.adjacency_encoder.propagate(self.adjacency_encoder.project(x), adj_index, adj_weight).node
        h_diff = self.diffusion_encoder.propagate(self.diffusion_encoder.project(x), diff_index,
                                                  diff_weight).node
        return h_adj + h_diff

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_views"] = _TensorCache(size=4)
        return state


def build_mvgrl(in_channels: int, hidden_channels: int = 512, alpha: float = 0.2, eps: float = 1e-4,
                top_k: Optional[int] = None, sample_size: Optional[int] = 2000, num_samples: int = 4,
                generator: Optional[torch.Generator] = None) -> MVGRL:
    """MVGRL as the official node-level code builds it: two one-layer GCNs of ``hidden_channels`` units with
    PReLU, PPR diffusion with teleport ``alpha`` (kept sparse: entries ``>= eps``, optionally ``top_k`` per
    node), ``num_samples`` blocks of ``sample_size`` nodes per step."""
    return MVGRL(GCNEncoder(in_channels, hidden_channels, normalize=False),
                 GCNEncoder(in_channels, hidden_channels, normalize=False),
                 diffusion=PPRDiffusion(alpha=alpha, eps=eps, top_k=top_k), sample_size=sample_size,
                 num_samples=num_samples, generator=generator)
