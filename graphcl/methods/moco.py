"""GraphCL views with a MoCo momentum encoder and a queue of negatives (He et al., CVPR 2020,
https://arxiv.org/abs/1911.05722).

Queries come from the online encoder and projection head, keys from their momentum copies; each query is
contrasted with its key against the queue of keys of earlier batches, so the number of negatives no longer
depends on the batch size.
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.data import Data

from graphcl.losses._checks import check_positive
from graphcl.losses.queue import MomentumQueue, info_nce_loss
from graphcl.methods.base import Method, encode_graphs, encoder_channels, graph_views, resolve_augmentations
from graphcl.methods.byol import check_momentum, frozen_copy, momentum_update
from graphcl.methods.graphcl_graph import projection_head


class MoCo(Method):
    r"""Graph-level MoCo on GraphCL's augmentations.

    At every training step the key encoder moves towards the online one,
    :math:`\xi \leftarrow m\xi + (1-m)\theta`, the queries of view 1 are scored against the keys of view 2
    with :func:`~graphcl.losses.info_nce_loss` (the queue as negatives; in-batch keys while the queue is
    still empty), then the keys are enqueued.

    Args:
        encoder (nn.Module): returns :class:`~graphcl.nn.EncoderOutput` with graph embeddings and exposes
            ``out_channels``.
        augmentation (str or sequence, optional): a GraphCL mode, or augmentation names and/or callables.
            (default: ``"random2"``)
        p (float, optional): augmentation strength. (default: ``0.2``)
        augment_both (bool, optional): augment the query view too; ``False`` contrasts the graph with an
            augmented copy, as the official GraphCL TU code. (default: ``True``)
        queue_size (int, optional): number of queued keys ``K``; keep it below the dataset size, or a graph
            may meet its own stale key as a negative. (default: ``1024``)
        momentum (float, optional): key-encoder momentum ``m``. (default: ``0.99``)
        temperature (float, optional): InfoNCE temperature. (default: ``0.2``)
        mask_mode (str, optional): fill of attribute masking. (default: ``"gaussian"``)
        generator (torch.Generator, optional): randomness of the augmentations. (default: ``None``)

    Shapes:
        - :meth:`embed`: -> ``[B, d]`` online-encoder graph embeddings
    """

    def __init__(self, encoder: nn.Module, augmentation: str | Sequence[str | Callable] = "random2", p: float = 0.2,
                 augment_both: bool = True, queue_size: int = 1024, momentum: float = 0.99,
                 temperature: float = 0.2, mask_mode: str = "gaussian",
                 generator: Optional[torch.Generator] = None) -> None:
        super().__init__(generator)
        channels = encoder_channels(encoder)
        self.transforms = resolve_augmentations(augmentation, p, mask_mode, generator)
        self.momentum = check_momentum(momentum)
        self.temperature = check_positive("temperature", temperature)
        self.encoder = encoder
        self.projection = projection_head(channels)
        self.key_encoder = frozen_copy(encoder)
        self.key_projection = frozen_copy(self.projection)
        self.queue = MomentumQueue(queue_size, channels)
        self.augmentation = augmentation
        self.p = float(p)
        self.augment_both = bool(augment_both)

    def reset_parameters(self) -> None:
        self.encoder.reset_parameters()
        self.projection.reset_xavier()
        self.key_encoder.load_state_dict(self.encoder.state_dict())
        self.key_projection.load_state_dict(self.projection.state_dict())
        self.queue.reset_parameters()

    def views(self, data: Data) -> tuple[Data, Data]:
        return graph_views(data, self.transforms, self.generator, self.augment_both)

    def loss(self, data: Data) -> Tensor:
        """InfoNCE of the queries against their keys and the queue (lower is better)."""
        training = self.training and torch.is_grad_enabled()
        if training:
            momentum_update(self.key_encoder, self.encoder, self.momentum)
            momentum_update(self.key_projection, self.projection, self.momentum)
        first, second = self.views(data)
        query = self.projection(encode_graphs(self.encoder, first))
        with torch.no_grad():
            key = F.normalize(self.key_projection(encode_graphs(self.key_encoder, second)), dim=1)
        loss = info_nce_loss(query, key, self.queue(), self.temperature)
        if training:
            self.queue.enqueue(key)
        return loss

    def embedding(self, data: Data) -> Tensor:
        """Online-encoder graph embeddings ``[B, d]``."""
        return encode_graphs(self.encoder, data)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(encoder={self.encoder!r}, augmentation={self.augmentation!r}, "
                f"queue_size={self.queue.size}, momentum={self.momentum}, temperature={self.temperature})")
