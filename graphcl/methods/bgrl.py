"""Bootstrapped Graph Latents (BGRL, Thakoor et al., ICLR 2022, https://arxiv.org/abs/2102.06514).

BYOL on graphs: two augmented views, an online encoder followed by a predictor, a target encoder that is an
exponential moving average of the online one, and the loss :math:`2 - 2\\cos` between the online prediction
of one view and the target embedding of the other, symmetrised. No negatives. :class:`BGRL` works on node
embeddings (the paper's setting); :class:`GraphBGRL` on graph embeddings (TU-style datasets).
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence

import torch
from torch import Tensor, nn
from torch_geometric.data import Data

from graphcl.augment import drop_edges
from graphcl.losses._checks import check_fraction
from graphcl.losses.bootstrap import byol_loss
from graphcl.methods.base import Method, encode, encoder_channels, graph_views, resolve_augmentations
from graphcl.methods.byol import check_momentum, cosine_momentum, frozen_copy, momentum_update, prediction_head
from graphcl.nn.projection import ProjectionHead
from graphcl.utils.checks import check_positive_int


class _Bootstrap(Method):
    """Online encoder + predictor, EMA target encoder, symmetric BYOL loss on :meth:`_select`'s embeddings.

    The target is updated at the start of every training-mode ``loss`` call (after the optimizer step of the
    previous one), so any loop that calls ``loss`` then steps trains it correctly; :meth:`update_target`
    does it by hand.
    """

    def __init__(self, encoder: nn.Module, hidden_channels: int, momentum: float,
                 total_steps: Optional[int], use_predictor: bool = True,
                 generator: Optional[torch.Generator] = None) -> None:
        super().__init__(generator)
        channels = encoder_channels(encoder)
        check_positive_int("hidden_channels", hidden_channels)
        check_positive_int("total_steps", total_steps, optional=True)
        self.momentum = check_momentum(momentum)
        self.total_steps = total_steps
        self.encoder = encoder
        # without the predictor (an ablation of BYOL) the objective can be met by a constant embedding
        self.use_predictor = bool(use_predictor)
        self.predictor = prediction_head(channels, hidden_channels, channels) if use_predictor else nn.Identity()
        self.target_encoder = frozen_copy(encoder)
        self.register_buffer("step", torch.zeros((), dtype=torch.long))

    def _select(self, output) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def views(self, data: Data) -> tuple[Data, Data]:  # pragma: no cover - abstract
        raise NotImplementedError

    def reset_parameters(self) -> None:
        self.encoder.reset_parameters()
        if isinstance(self.predictor, ProjectionHead):
            self.predictor.reset_parameters()
        self.target_encoder.load_state_dict(self.encoder.state_dict())
        self.step.zero_()

    def current_momentum(self) -> float:
        return cosine_momentum(self.momentum, int(self.step), self.total_steps)

    @torch.no_grad()
    def update_target(self) -> None:
        """Move the target encoder towards the online encoder by the scheduled momentum."""
        momentum_update(self.target_encoder, self.encoder, self.current_momentum())

    def loss(self, data: Data) -> Tensor:
        """Symmetric BYOL loss of two views of ``data`` (``0`` to ``8``, lower is better)."""
        if self.training and torch.is_grad_enabled():
            if int(self.step) > 0:
                self.update_target()
            self.step += 1
        first, second = self.views(data)
        online_first = self.predictor(self._select(encode(self.encoder, first)))
        online_second = self.predictor(self._select(encode(self.encoder, second)))
        with torch.no_grad():
            target_first = self._select(encode(self.target_encoder, first))
            target_second = self._select(encode(self.target_encoder, second))
        return byol_loss(online_first, target_second) + byol_loss(online_second, target_first)

    def embedding(self, data: Data) -> Tensor:
        """Online-encoder embeddings (node or graph ones, see :attr:`embedding_level`)."""
        return self._select(encode(self.encoder, data))


def mask_feature_columns(data: Data, p: float, generator: Optional[torch.Generator] = None) -> Data:
    """BGRL's feature masking: zero each feature dimension with probability ``p`` (the same dimensions for
    every node)."""
    p = check_fraction("p", p, upper_open=False)
    out = data.clone()
    if out.x is None or p == 0:
        return out
    keep = torch.rand(out.x.size(1), generator=generator, device="cpu") >= p
    out.x = out.x * keep.to(out.x.device, out.x.dtype)
    return out


class BGRL(_Bootstrap):
    embedding_level = "node"

    r"""Node-level BGRL (Thakoor et al. 2022).

    Each view drops edges with probability ``edge_drop_p[i]`` and masks feature dimensions with probability
    ``feature_mask_p[i]`` (the paper tunes both per dataset). The target momentum rises from ``momentum`` to
    1 on a cosine schedule over ``total_steps`` (constant without).

    Args:
        encoder (nn.Module): returns :class:`~graphcl.nn.EncoderOutput` with node embeddings and exposes
            ``out_channels``.
        hidden_channels (int, optional): predictor width. (default: ``512``)
        edge_drop_p (tuple of float, optional): edge-dropping rate of each view. (default: ``(0.2, 0.3)``)
        feature_mask_p (tuple of float, optional): feature-masking rate of each view. (default: ``(0.2, 0.1)``)
        momentum (float, optional): base EMA rate :math:`\tau`. (default: ``0.99``)
        total_steps (int, optional): length of the momentum schedule in optimizer steps. (default: ``None``)
        generator (torch.Generator, optional): randomness of the augmentations. (default: ``None``)
    """

    def __init__(self, encoder: nn.Module, hidden_channels: int = 512, edge_drop_p: Sequence[float] = (0.2, 0.3),
                 feature_mask_p: Sequence[float] = (0.2, 0.1), momentum: float = 0.99,
                 total_steps: Optional[int] = None, generator: Optional[torch.Generator] = None) -> None:
        super().__init__(encoder, hidden_channels, momentum, total_steps, generator=generator)
        if len(edge_drop_p) != 2 or len(feature_mask_p) != 2:
            raise ValueError("edge_drop_p and feature_mask_p need one rate per view (two each)")
        self.edge_drop_p = tuple(check_fraction("edge_drop_p", p, upper_open=False) for p in edge_drop_p)
        self.feature_mask_p = tuple(check_fraction("feature_mask_p", p, upper_open=False)
                                    for p in feature_mask_p)

    def _select(self, output) -> Tensor:
        return output.node

    def views(self, data: Data) -> tuple[Data, Data]:
        return tuple(mask_feature_columns(drop_edges(data, pe, self.generator), pf, self.generator)
                     for pe, pf in zip(self.edge_drop_p, self.feature_mask_p))

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(encoder={self.encoder!r}, edge_drop_p={self.edge_drop_p}, "
                f"feature_mask_p={self.feature_mask_p}, momentum={self.momentum})")


class GraphBGRL(_Bootstrap):
    r"""BGRL on graph embeddings: both views augmented per graph as in GraphCL.

    Args:
        encoder (nn.Module): returns :class:`~graphcl.nn.EncoderOutput` with graph embeddings and exposes
            ``out_channels`` (e.g. :class:`~graphcl.nn.GINEncoder`).
        augmentation (str or sequence, optional): a GraphCL mode, or augmentation names and/or callables,
            drawn per graph for each view. (default: ``"random2"``)
        p (float, optional): augmentation strength. (default: ``0.2``)
        hidden_channels (int, optional): predictor width. (default: ``512``)
        momentum (float, optional): base EMA rate :math:`\tau`. (default: ``0.99``)
        total_steps (int, optional): length of the cosine momentum schedule. (default: ``None``)
        mask_mode (str, optional): fill of attribute masking. (default: ``"gaussian"``)
        generator (torch.Generator, optional): randomness of the augmentations. (default: ``None``)
        use_predictor (bool, optional): ``False`` drops the predictor, BYOL's collapsing ablation.
            (default: ``True``)
    """

    def __init__(self, encoder: nn.Module, augmentation: str | Sequence[str | Callable] = "random2",
                 p: float = 0.2, hidden_channels: int = 512, momentum: float = 0.99,
                 total_steps: Optional[int] = None, mask_mode: str = "gaussian",
                 generator: Optional[torch.Generator] = None, use_predictor: bool = True) -> None:
        super().__init__(encoder, hidden_channels, momentum, total_steps, use_predictor, generator=generator)
        self.augmentation = augmentation
        self.p = float(p)
        self.transforms = resolve_augmentations(augmentation, p, mask_mode, generator)

    def _select(self, output) -> Tensor:
        if output.graph is None:
            raise ValueError("GraphBGRL needs an encoder that returns graph embeddings")
        return output.graph

    def views(self, data: Data) -> tuple[Data, Data]:
        return graph_views(data, self.transforms, self.generator)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(encoder={self.encoder!r}, augmentation={self.augmentation!r}, "
                f"p={self.p:g}, momentum={self.momentum})")
