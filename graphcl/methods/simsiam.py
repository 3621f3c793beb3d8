"""SimSiam on graphs (Chen & He, CVPR 2021, https://arxiv.org/abs/2011.10566).

Two augmented views through one encoder and projector; a predictor on one branch and a stop-gradient on the
other, :math:`\\frac12 D(p_1, \\mathrm{sg}(z_2)) + \\frac12 D(p_2, \\mathrm{sg}(z_1))` with
:math:`D = -\\cos`. No negatives and no momentum encoder.
"""
from __future__ import annotations

from typing import Optional, Sequence

import torch
from torch import Tensor, nn
from torch_geometric.data import Data

from graphcl.losses import simsiam_loss
from graphcl.methods.byol import augmentation_names, reset_module
from graphcl.utils.modes import evaluation_mode


class SimSiam(nn.Module):
    r"""Graph-level SimSiam.

    Projector: Linear-BN-ReLU-Linear-BN (the paper's, with two layers for small graph encoders); predictor:
    bottleneck Linear-BN-ReLU-Linear with ``channels // 4`` hidden units, as in the paper.

    Args:
        encoder (nn.Module): returns :class:`~graphcl.nn.EncoderOutput` with graph embeddings and exposes
            ``out_channels``.
        augmentation (str or sequence of str, optional): a GraphCL mode or augmentation names, drawn per graph
            for each view. (default: ``"random2"``)
        p (float, optional): augmentation strength. (default: ``0.2``)
        out_channels (int, optional): projection size. (default: encoder's ``out_channels``)
        mask_mode (str, optional): fill of attribute masking. (default: ``"gaussian"``)
        generator (torch.Generator, optional): randomness of the augmentations. (default: ``None``)
    """

    def __init__(self, encoder: nn.Module, augmentation: str | Sequence[str] = "random2", p: float = 0.2,
                 out_channels: Optional[int] = None, mask_mode: str = "gaussian",
                 generator: Optional[torch.Generator] = None) -> None:
        super().__init__()
        from graphcl.methods.graphcl_graph import build_augmentations

        channels = getattr(encoder, "out_channels", None)
        if not isinstance(channels, int):
            raise TypeError("encoder must expose an int attribute out_channels")
        out_channels = out_channels or channels
        if not isinstance(out_channels, int) or out_channels < 4:
            raise ValueError(f"out_channels must be an int >= 4, got {out_channels!r}")
        names = augmentation_names(augmentation)
        self.encoder = encoder
        self.projector = nn.Sequential(
            nn.Linear(channels, out_channels), nn.BatchNorm1d(out_channels), nn.ReLU(),
            nn.Linear(out_channels, out_channels), nn.BatchNorm1d(out_channels))
        bottleneck = out_channels // 4
        self.predictor = nn.Sequential(
            nn.Linear(out_channels, bottleneck), nn.BatchNorm1d(bottleneck), nn.ReLU(),
            nn.Linear(bottleneck, out_channels))
        self.augmentation = augmentation if isinstance(augmentation, str) else list(names)
        self.p = float(p)
        self.generator = generator
        self.transforms = build_augmentations(names, p, mask_mode, generator)
        self.config = {"augmentation": self.augmentation, "p": self.p, "out_channels": out_channels,
                       "mask_mode": mask_mode}

    def reset_parameters(self) -> None:
        self.encoder.reset_parameters()
        reset_module(self.projector)
        reset_module(self.predictor)

    def views(self, data: Data) -> tuple[Data, Data]:
        from graphcl.methods.graphcl_graph import augment_per_graph

        return (augment_per_graph(data, self.transforms, self.generator),
                augment_per_graph(data, self.transforms, self.generator))

    def loss(self, data: Data) -> Tensor:
        """Symmetric negative cosine similarity (``-1`` to ``1``, lower is better)."""
        first, second = self.views(data)
        z1 = self.projector(self._graph(first))
        z2 = self.projector(self._graph(second))
        p1, p2 = self.predictor(z1), self.predictor(z2)
        return 0.5 * (simsiam_loss(p1, z2) + simsiam_loss(p2, z1))

    def _graph(self, data: Data) -> Tensor:
        graph = self.encoder(data).graph
        if graph is None:
            raise ValueError("SimSiam needs an encoder that returns graph embeddings")
        return graph

    @torch.no_grad()
    def embed(self, data: Data) -> Tensor:
        """Encoder graph embeddings ``[B, d]``, eval mode, no gradients."""
        with evaluation_mode(self):
            return self._graph(data)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(encoder={self.encoder!r}, augmentation={self.augmentation!r}, "
                f"p={self.p:g})")
