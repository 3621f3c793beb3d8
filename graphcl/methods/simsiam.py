"""SimSiam on graphs (Chen & He, CVPR 2021, https://arxiv.org/abs/2011.10566).

Two augmented views through one encoder and projector; a predictor on one branch and a stop-gradient on the
other, :math:`\\frac12 D(p_1, \\mathrm{sg}(z_2)) + \\frac12 D(p_2, \\mathrm{sg}(z_1))` with
:math:`D = -\\cos`. No negatives and no momentum encoder.
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence

import torch
from torch import Tensor, nn
from torch_geometric.data import Data

from graphcl.losses.bootstrap import simsiam_loss
from graphcl.methods.base import Method, encode_graphs, encoder_channels, graph_views, resolve_augmentations
from graphcl.nn.projection import ProjectionHead


class SimSiam(Method):
    r"""Graph-level SimSiam.

    Projector: Linear-BN-ReLU-Linear-BN (the paper's, with two layers for small graph encoders); predictor:
    bottleneck Linear-BN-ReLU-Linear with ``channels // 4`` hidden units, as in the paper.

    Args:
        encoder (nn.Module): returns :class:`~graphcl.nn.EncoderOutput` with graph embeddings and exposes
            ``out_channels``.
        augmentation (str or sequence, optional): a GraphCL mode, or augmentation names and/or callables,
            drawn per graph for each view. (default: ``"random2"``)
        p (float, optional): augmentation strength. (default: ``0.2``)
        out_channels (int, optional): projection size. (default: encoder's ``out_channels``)
        mask_mode (str, optional): fill of attribute masking. (default: ``"gaussian"``)
        generator (torch.Generator, optional): randomness of the augmentations. (default: ``None``)

    Shapes:
        - :meth:`embed`: -> ``[B, d]`` encoder graph embeddings
    """

    def __init__(self, encoder: nn.Module, augmentation: str | Sequence[str | Callable] = "random2", p: float = 0.2,
                 out_channels: Optional[int] = None, mask_mode: str = "gaussian",
                 generator: Optional[torch.Generator] = None) -> None:
        super().__init__(generator)
        channels = encoder_channels(encoder)
        out_channels = out_channels or channels
        if not isinstance(out_channels, int) or out_channels < 4:
            raise ValueError(f"out_channels must be an int >= 4, got {out_channels!r}")
        self.transforms = resolve_augmentations(augmentation, p, mask_mode, generator)
        self.encoder = encoder
        self.projector = ProjectionHead(channels, out_channels, out_channels, batch_norm=True,
                                        output_batch_norm=True)
        self.predictor = ProjectionHead(out_channels, out_channels // 4, out_channels, batch_norm=True)
        self.augmentation = augmentation
        self.p = float(p)

    def views(self, data: Data) -> tuple[Data, Data]:
        return graph_views(data, self.transforms, self.generator)

    def loss(self, data: Data) -> Tensor:
        """Symmetric negative cosine similarity (``-1`` to ``1``, lower is better)."""
        first, second = self.views(data)
        z1 = self.projector(encode_graphs(self.encoder, first))
        z2 = self.projector(encode_graphs(self.encoder, second))
        p1, p2 = self.predictor(z1), self.predictor(z2)
        return 0.5 * (simsiam_loss(p1, z2) + simsiam_loss(p2, z1))

    def embedding(self, data: Data) -> Tensor:
        """Encoder graph embeddings ``[B, d]``."""
        return encode_graphs(self.encoder, data)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(encoder={self.encoder!r}, augmentation={self.augmentation!r}, "
                f"p={self.p:g})")
