r"""InfoGraph (Sun et al., ICLR 2020, https://arxiv.org/abs/1908.01000), unsupervised graph level.

Algorithm (official code ``sunfanyunn/InfoGraph``, ``unsupervised/main.py``):

1. encode a batch with a GIN whose node (patch) embedding concatenates every layer's output and whose graph
   embedding concatenates every layer's sum pool (:class:`~graphcl.nn.GINEncoder`);
2. map patches with a local head and graphs with a global head (each three ReLU layers plus a linear
   shortcut, :class:`~graphcl.nn.ShortcutMLP`);
3. maximise the Jensen-Shannon MI estimate between every patch and its own graph, the other graphs of the
   batch being negatives (:func:`~graphcl.losses.local_global_jensen_shannon_loss`).

The frozen graph embedding for downstream use is the encoder's (not the head's) output.
"""
from __future__ import annotations

from typing import Callable, ClassVar, Optional

import torch
from torch import Tensor, nn
from torch_geometric.data import Data

from graphcl.losses.jensen_shannon import LocalGlobalJensenShannonLoss
from graphcl.methods.base import Method, encode, encoder_channels
from graphcl.nn.projection import ShortcutMLP

LocalGlobalLoss = Callable[[Tensor, Tensor, Tensor], Tensor]


class InfoGraph(Method):
    r"""InfoGraph's local-global mutual-information maximisation.

    Args:
        encoder (nn.Module): returns :class:`~graphcl.nn.EncoderOutput` with node and graph embeddings of
            the same size ``out_channels`` (e.g. ``GINEncoder(F, 32, num_layers=5)``, the official default).
        local_head (nn.Module, optional): patch head. (default: ``ShortcutMLP(out_channels)``)
        global_head (nn.Module, optional): graph head. (default: ``ShortcutMLP(out_channels)``)
        loss (callable, optional): ``(node, graph, batch) -> scalar``.
            (default: :class:`~graphcl.losses.LocalGlobalJensenShannonLoss`)
        generator (torch.Generator, optional): unused (InfoGraph draws nothing at random); kept for the
            contract. (default: :obj:`None`)

    Example:
        >>> from graphcl.nn import GINEncoder
        >>> model = InfoGraph(GINEncoder(7, 32, num_layers=5))
    """

    embedding_level: ClassVar[str] = "graph"

    def __init__(self, encoder: nn.Module, local_head: Optional[nn.Module] = None,
                 global_head: Optional[nn.Module] = None, loss: Optional[LocalGlobalLoss] = None,
                 generator: Optional[torch.Generator] = None) -> None:
        super().__init__(generator)
        channels = encoder_channels(encoder)
        if loss is not None and not callable(loss):
            raise TypeError("loss must be a callable (node_embeddings, graph_embeddings, batch) -> scalar")
        self.encoder = encoder
        self.local_head = local_head if local_head is not None else ShortcutMLP(channels)
        self.global_head = global_head if global_head is not None else ShortcutMLP(channels)
        self.loss_fn = loss if loss is not None else LocalGlobalJensenShannonLoss()

    def loss(self, batch: Data) -> Tensor:
        """Negative JSD MI between patches and their graphs (lower is better)."""
        out = encode(self.encoder, batch)
        if out.graph is None:
            raise ValueError(f"{type(self.encoder).__name__} returned no graph embeddings")
        index = getattr(batch, "batch", None)
        if index is None:
            raise ValueError("InfoGraph needs a Batch of several graphs (negatives are the other graphs)")
        return self.loss_fn(self.local_head(out.node), self.global_head(out.graph), index)

    def embedding(self, batch: Data) -> Tensor:
        """Encoder graph embeddings ``[B, out_channels]``."""
        return encode(self.encoder, batch).graph
