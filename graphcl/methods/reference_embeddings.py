"""Reference embeddings for unsupervised tables: what an SVM gets without any pretraining.

- :class:`UntrainedEncoder`: a randomly initialised encoder, embedded as is (issue #17: does pretraining
  beat its own starting point?);
- :class:`FeatureSum`: the sum of the input node features of every graph.

Both follow the method contract for :meth:`embed`; they have nothing to train, so :meth:`loss` raises.
"""
from __future__ import annotations

from typing import ClassVar, Optional

import torch
from torch import Tensor, nn
from torch_geometric.data import Data
from torch_geometric.nn import global_add_pool

from graphcl.methods.base import Method, encode, encoder_channels


class UntrainedEncoder(Method):
    """Graph embeddings of an encoder at its random initialisation (eval mode).

    Args:
        encoder (nn.Module): a graph encoder returning :class:`~graphcl.nn.EncoderOutput` with graph embeddings.
    """

    embedding_level: ClassVar[str] = "graph"

    def __init__(self, encoder: nn.Module, generator: Optional[torch.Generator] = None) -> None:
        super().__init__(generator)
        encoder_channels(encoder)
        self.encoder = encoder

    def loss(self, batch: Data) -> Tensor:
        raise RuntimeError("UntrainedEncoder is a reference without training: embed it directly")

    def embedding(self, batch: Data) -> Tensor:
        graph = encode(self.encoder, batch).graph
        if graph is None:
            raise ValueError(f"{type(self.encoder).__name__} returned no graph embeddings")
        return graph


class FeatureSum(Method):
    """The sum of the node features ``x`` of every graph, ``[B, F]``."""

    embedding_level: ClassVar[str] = "graph"

    def __init__(self, generator: Optional[torch.Generator] = None) -> None:
        super().__init__(generator)

    def loss(self, batch: Data) -> Tensor:
        raise RuntimeError("FeatureSum has nothing to train")

    def embedding(self, batch: Data) -> Tensor:
        x = getattr(batch, "x", None)
        if x is None:
            raise ValueError("the graphs have no node features `x`")
        x = x.float().view(x.size(0), -1)
        index = getattr(batch, "batch", None)
        if index is None:
            return x.sum(0, keepdim=True)
        return global_add_pool(x, index, size=batch.num_graphs)
