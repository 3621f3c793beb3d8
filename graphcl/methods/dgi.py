r"""Deep Graph Infomax (Veličković et al., ICLR 2019, https://arxiv.org/abs/1809.10341).

A GCN encoder is trained to tell the nodes of the real graph from the nodes of a corrupted copy (node
features shuffled across nodes, graph kept), each scored against the summary of the real graph. The
settings of the official code are the defaults: one GCN layer of 512 units (256 for PubMed), PReLU,
summary :math:`\sigma(\mathrm{mean}_i h_i)`, bilinear discriminator, binary cross-entropy, Adam with
learning rate 0.001 and no weight decay, early stopping on the training loss with patience 20, and the
weights of the best epoch kept (:func:`train_full_batch`).
"""
from __future__ import annotations

import copy
import math
import numbers
from dataclasses import dataclass, field
from typing import Callable, Optional

import torch
from torch import Tensor, nn
from torch_geometric.data import Batch, Data

from graphcl.losses.binary_cross_entropy import bce_contrastive_loss
from graphcl.methods.base import Method, encode, encoder_channels
from graphcl.nn.discriminator import BilinearDiscriminator
from graphcl.nn.gcn import GCNEncoder
from graphcl.nn.readout import readout_name, resolve_readout
from graphcl.train.loop import TrainingOptions, train
from graphcl.utils.checks import check_positive_int

ScoreLoss = Callable[[Tensor, Tensor], Tensor]


def node_inputs(data: Data, in_channels: Optional[int] = None) -> tuple[Tensor, Tensor]:
    """``(x, edge_index)`` of a node-level graph, validated.

    Raises:
        ValueError: no features, wrong feature size, no nodes, or non-finite features.
    """
    x = getattr(data, "x", None)
    if x is None:
        raise ValueError("the graph has no node features `x`")
    if x.dim() != 2 or (in_channels is not None and x.size(1) != in_channels):
        raise ValueError(f"node features must have shape [num_nodes, {in_channels}], got {tuple(x.shape)}")
    if x.size(0) == 0:
        raise ValueError("the graph has no nodes")
    edge_index = getattr(data, "edge_index", None)
    if edge_index is None:
        edge_index = torch.empty(2, 0, dtype=torch.long, device=x.device)
    return x, edge_index


def check_finite(x: Tensor) -> None:
    """Raise a ValueError when node features hold NaN or infinite values."""
    values = x.values() if x.layout != torch.strided else x
    if values.is_floating_point() and not bool(torch.isfinite(values).all()):
        raise ValueError("node features contain NaN or infinite values")


def seed_count(data: Data) -> Optional[int]:
    """The number of seed nodes of a neighbour-sampled subgraph, else ``None``.

    A batch of :func:`graphcl.data.neighbor_loader` (or PyG's ``NeighborLoader``) stores its seeds first
    and their count in ``batch_size``; the other nodes only feed the seeds' receptive fields.
    """
    if isinstance(data, Batch) or "n_id" not in data or "batch_size" not in data:
        return None
    return int(data.batch_size)


def row_permutation(data: Data, generator: Optional[torch.Generator] = None) -> Tensor:
    """A random permutation of the nodes within each graph, shape ``[N]``: node ``i`` takes the features of
    node ``perm[i]`` (the shuffle of :func:`graphcl.augment.shuffle_node_features`, as an index).

    On a :class:`~torch_geometric.data.Batch` (nodes of a graph stored contiguously) rows only move within
    their graph. Drawn on the CPU so that a CPU generator serves any device.
    """
    num_nodes = data.num_nodes
    batch = getattr(data, "batch", None)
    if batch is None:
        return torch.randperm(num_nodes, generator=generator)
    # sorting graph id + uniform noise keeps every graph's slot range and shuffles inside it
    keys = batch.detach().cpu().double() + torch.rand(num_nodes, generator=generator, dtype=torch.float64)
    return torch.argsort(keys)


class DGI(Method):
    r"""Deep Graph Infomax on one graph (or a batch of graphs, each with its own summary).

    Corruption is DGI's feature-row shuffle (that of :func:`graphcl.augment.shuffle_node_features`, drawn
    by :func:`row_permutation`). Any node encoder works, as in PyG's ``DeepGraphInfomax``; with a
    :class:`~graphcl.nn.GCNEncoder` the first layer's linear map is row-wise, so the shuffle is applied to
    its output, which gives the same values and gradients as encoding shuffled features at half the cost.

    Args:
        encoder (nn.Module or int): a node encoder returning :class:`~graphcl.nn.EncoderOutput` with an
            ``out_channels`` attribute, or the node feature size :math:`F` to build DGI's
            :class:`~graphcl.nn.GCNEncoder` ``(F, hidden_channels, num_layers)``.
        hidden_channels (int, optional): embedding size :math:`d` of the built GCN. (default: :obj:`512`)
        num_layers (int, optional): GCN layers of the built GCN. (default: :obj:`1`)
        readout (str or callable, optional): summary function (see :func:`graphcl.nn.resolve_readout`).
            (default: :obj:`"sigmoid_mean"`)
        loss (callable, optional): ``loss(pos_logits, neg_logits) -> scalar``.
            (default: :func:`graphcl.losses.bce_contrastive_loss`)
        generator (torch.Generator, optional): draws the corruption. (default: :obj:`None`)

    Shapes:
        - :meth:`loss`: ``data.x`` ``[N, F]``, ``data.edge_index`` ``[2, E]`` -> scalar
        - :meth:`embed`: -> ``[N, d]`` node embeddings

    Example:
        >>> from graphcl.nn import GINEncoder
        >>> DGI(GINEncoder(1433, 512, num_layers=2))  # any node encoder  # doctest: +SKIP
    """

    embedding_level = "node"

    def __init__(self, encoder: nn.Module | int, hidden_channels: int = 512, num_layers: int = 1,
                 readout: str | Callable = "sigmoid_mean", loss: Optional[ScoreLoss] = None,
                 generator: Optional[torch.Generator] = None) -> None:
        super().__init__(generator)
        if isinstance(encoder, numbers.Integral) and not isinstance(encoder, bool):
            encoder = GCNEncoder(int(encoder), hidden_channels, num_layers)
        channels = encoder_channels(encoder)
        if loss is not None and not callable(loss):
            raise TypeError("loss must be a callable (pos_logits, neg_logits) -> scalar")
        self.encoder = encoder
        self.readout = resolve_readout(readout)
        self.discriminator = BilinearDiscriminator(channels)
        self.loss_fn = loss if loss is not None else bce_contrastive_loss

    @property
    def in_channels(self) -> Optional[int]:
        return getattr(self.encoder, "in_channels", None)

    @property
    def hidden_channels(self) -> int:
        return encoder_channels(self.encoder)

    def summary(self, h: Tensor, data: Data) -> Tensor:
        """One summary per node's graph: ``[1, d]`` for a single graph, ``[N, d]`` for a batch."""
        batch = getattr(data, "batch", None)
        if batch is None:
            return self.readout(h)
        # index_select's backward is deterministic on a multi-core CPU, unlike advanced indexing's
        return self.readout(h, batch).index_select(0, batch)

    def _splits_first_layer(self) -> bool:
        return callable(getattr(self.encoder, "project", None)) and callable(getattr(self.encoder, "propagate", None))

    def real_and_corrupted(self, data: Data) -> tuple[Optional[Tensor], Tensor, Tensor]:
        """First-layer product ``XW`` (``None`` for encoders that do not split it off) and the node
        embeddings of the real and the row-shuffled graph.

        Shuffling the rows of ``XW`` equals shuffling the rows of ``X``, for half the feature work. On a
        neighbour-sampled subgraph with a :class:`~graphcl.nn.GCNEncoder`, the embeddings are those of the
        seed nodes only (:meth:`~graphcl.nn.GCNEncoder.forward_sampled`) and ``XW`` is ``None``.
        """
        x, edge_index = node_inputs(data, self.in_channels)
        perm = row_permutation(data, self.generator).to(x.device)
        sizes = getattr(data, "num_sampled_nodes", None) if seed_count(data) is not None else None
        if isinstance(self.encoder, GCNEncoder) and sizes is not None and x.layout == torch.strided:
            # a sampled subgraph: compute the seeds' embeddings only, layer by layer (same values)
            degree = getattr(data, "in_degree", None)  # whole-graph degrees, set by node_minibatch_loader
            positive = self.encoder.forward_sampled(x, edge_index, list(sizes), degree)
            negative = self.encoder.forward_sampled(x[perm], edge_index, list(sizes), degree)
            return None, positive, negative
        if self._splits_first_layer():
            projected = self.encoder.project(x)
            positive = self.encoder.propagate(projected, edge_index).node
            negative = self.encoder.propagate(projected[perm], edge_index).node
            return projected, positive, negative
        corrupted = copy.copy(data)
        corrupted.x = x[perm]
        return None, encode(self.encoder, data).node, encode(self.encoder, corrupted).node

    def loss(self, data: Data) -> Tensor:
        """DGI's loss on ``data``; the method's generator draws the corruption.

        On a neighbour-sampled subgraph (:func:`seed_count`), as in DGI's Reddit setting and PyG's inductive
        DGI example, the features are shuffled across all sampled nodes, and the summary and the scores are
        those of the seed nodes only (the other nodes only feed their receptive fields).
        """
        _, positive, negative = self.real_and_corrupted(data)
        seeds = seed_count(data)
        if seeds is not None:
            positive, negative = positive[:seeds], negative[:seeds]
        summary = self.summary(positive, data)
        return self.loss_fn(self.discriminator(positive, summary), self.discriminator(negative, summary))

    def embedding(self, data: Data) -> Tensor:
        """Node embeddings ``[N, d]``."""
        x, _ = node_inputs(data, self.in_channels)
        check_finite(x)
        return encode(self.encoder, data).node

    def __repr__(self) -> str:
        if isinstance(self.encoder, GCNEncoder):
            return (f"{self.__class__.__name__}({self.encoder.in_channels}, {self.hidden_channels}, "
                    f"num_layers={self.encoder.num_layers}, readout={readout_name(self.readout)!r})")
        return (f"{self.__class__.__name__}(encoder={self.encoder!r}, "
                f"readout={readout_name(self.readout)!r})")


@dataclass
class TrainResult:
    """What :func:`train_full_batch` did.

    Attributes:
        epochs (int): epochs run (each one loss evaluation; the last may stop before its update).
        best_epoch (int): epoch (0-based) of the lowest loss, whose weights were restored.
        best_loss (float): that loss.
        losses (list of float): the loss of every epoch.
        seconds_per_epoch (float): mean wall time of an epoch.
        stopped_early (bool): whether patience ran out before the epoch cap.
    """

    epochs: int
    best_epoch: int
    best_loss: float
    losses: list[float] = field(default_factory=list)
    seconds_per_epoch: float = math.nan
    stopped_early: bool = False


def train_full_batch(method: nn.Module, data: Data, epochs: int = 10000, lr: float = 0.001,
                     weight_decay: float = 0.0, patience: Optional[int] = 20, progress: bool = True,
                     optimizer: Optional[torch.optim.Optimizer] = None, restore_best: bool = True) -> TrainResult:
    """Train a node-level method on one full graph with Adam and early stopping, as DGI's official code.

    A thin caller of :func:`graphcl.train.train` (full-batch, ``monitor="loss"``): each epoch computes
    ``method.loss(data)``; a loss below the best so far records the current weights (those that produced
    it); after ``patience`` epochs without improvement training stops, and the recorded weights are
    restored. The method and ``data`` must already be on the same device.

    Args:
        method (Method): a node-level method (its randomness comes from its own generator).
        data (Data): the graph.
        epochs (int, optional): epoch cap. (default: :obj:`10000`)
        lr (float, optional): Adam learning rate. (default: :obj:`0.001`)
        weight_decay (float, optional): Adam weight decay. (default: :obj:`0.0`)
        patience (int, optional): epochs without improvement before stopping; ``None`` never stops early.
            (default: :obj:`20`)
        progress (bool, optional): show a progress bar. (default: :obj:`True`)
        optimizer (torch.optim.Optimizer, optional): replaces the default Adam.
        restore_best (bool, optional): restore the weights of the lowest loss; ``False`` keeps the last ones
            (GRACE's protocol). (default: :obj:`True`)

    Returns:
        TrainResult
    """
    check_positive_int("epochs", epochs)
    check_positive_int("patience", patience, optional=True)
    if not (lr > 0 and math.isfinite(lr)):
        raise ValueError(f"lr must be a finite number > 0, got {lr}")
    if weight_decay < 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")
    check_finite(data.x)
    options = TrainingOptions(epochs=epochs, lr=lr, weight_decay=weight_decay, monitor="loss", monitor_mode="min",
                              patience=patience, progress=progress, device=str(data.x.device),
                              handle_signals=False, restore_best=restore_best)
    result = train(method, data, options, optimizer=optimizer)
    losses = result.losses
    seconds = sum(record["seconds"] for record in result.history)
    return TrainResult(epochs=len(losses), best_epoch=result.best_epoch - 1, best_loss=result.best_value,
                       losses=losses, seconds_per_epoch=seconds / max(len(losses), 1),
                       stopped_early=result.stopped_early)
