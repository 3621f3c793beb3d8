"""GraphCL at the graph level (You et al., NeurIPS 2020, https://arxiv.org/abs/2010.13902).

Two views of every graph, a shared encoder, a projection head and NT-Xent between the views' graph
embeddings. The defaults follow the official unsupervised TU code: the first view is the graph itself and
the second an augmented copy whose augmentation is drawn per graph from the chosen mode's set.
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence

import torch
from torch import Tensor, nn
from torch_geometric.data import Data

from graphcl.augment import GRAPHCL_AUGMENTATION_MODES, build_augmentations, random_choice_per_graph
from graphcl.utils.modes import evaluation_mode

LossFunction = Callable[[Tensor, Tensor], Tensor]


def projection_head(channels: int, hidden_channels: Optional[int] = None,
                    out_channels: Optional[int] = None) -> nn.Sequential:
    """The 2-layer MLP projection head of GraphCL (Linear-ReLU-Linear, all ``channels`` wide by default)."""
    hidden_channels = hidden_channels or channels
    out_channels = out_channels or channels
    return nn.Sequential(nn.Linear(channels, hidden_channels), nn.ReLU(), nn.Linear(hidden_channels, out_channels))


def reset_linear_xavier(module: nn.Module) -> None:
    """Xavier-uniform weights and zero biases for every Linear (the official initialisation)."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)


def augment_per_graph(data: Data, transforms: Sequence[Callable[[Data], Data]],
                      generator: Optional[torch.Generator] = None) -> Data:
    """Apply to every graph of a batch one transform drawn uniformly from ``transforms``
    (:func:`graphcl.augment.random_choice_per_graph`: the whole batch at once, graph order kept)."""
    return random_choice_per_graph(data, transforms, generator=generator)


class GraphCL(nn.Module):
    r"""Graph-level GraphCL.

    Args:
        encoder (nn.Module): returns :class:`~graphcl.nn.EncoderOutput` with graph embeddings; it must
            expose ``out_channels`` (e.g. :class:`~graphcl.nn.GINEncoder`).
        augmentation (str or sequence of str, optional): an official mode (``"dnodes"``, ``"pedges"``,
            ``"subgraph"``, ``"mask_nodes"``, ``"random2"``, ``"random3"``, ``"random4"``, ``"none"``, see
            :data:`GRAPHCL_AUGMENTATION_MODES`) or names from :data:`graphcl.augment.AUGMENTATIONS`; each
            augmented graph draws one of them. (default: :obj:`"random2"`)
        p (float, optional): augmentation strength. (default: :obj:`0.2`)
        augment_both (bool, optional): augment both views (the paper's formulation) instead of contrasting
            the graph with one augmented copy (the official TU code). (default: :obj:`False`)
        temperature (float, optional): NT-Xent temperature. (default: :obj:`0.2`)
        exclude_positive (bool, optional): the official denominator without the positive pair; ``False``
            gives SimCLR's. (default: :obj:`True`)
        loss (callable, optional): any ``(z1, z2) -> scalar`` replacing NT-Xent. (default: :obj:`None`)
        mask_mode (str, optional): fill of attribute masking. (default: :obj:`"gaussian"`)
        generator (torch.Generator, optional): source of the augmentation randomness. (default: ``None``)

    Example:
        >>> from graphcl.nn import GINEncoder
        >>> model = GraphCL(GINEncoder(7), augmentation="random4")
    """

    def __init__(self, encoder: nn.Module, augmentation: str | Sequence[str] = "random2", p: float = 0.2,
                 augment_both: bool = False, temperature: float = 0.2, exclude_positive: bool = True,
                 loss: Optional[LossFunction] = None, mask_mode: str = "gaussian",
                 generator: Optional[torch.Generator] = None) -> None:
        super().__init__()
        from graphcl.losses import NTXentLoss

        if isinstance(augmentation, str):
            if augmentation not in GRAPHCL_AUGMENTATION_MODES:
                raise ValueError(f"unknown augmentation mode {augmentation!r}; choose from "
                                 f"{sorted(GRAPHCL_AUGMENTATION_MODES)} or pass a list of augmentation names")
            names = GRAPHCL_AUGMENTATION_MODES[augmentation]
        else:
            names = tuple(augmentation)
            if not names:
                raise ValueError("augmentation must name at least one augmentation")
        channels = getattr(encoder, "out_channels", None)
        if not isinstance(channels, int):
            raise TypeError("encoder must expose an int attribute out_channels")
        if loss is not None and not callable(loss):
            raise TypeError("loss must be a callable (z1, z2) -> scalar")
        self.encoder = encoder
        self.augmentation = augmentation if isinstance(augmentation, str) else list(names)
        self.augmentation_names = names
        self.p = float(p)
        self.augment_both = bool(augment_both)
        self.generator = generator
        self.transforms = build_augmentations(names, p, mask_mode, generator)
        self.projection = projection_head(channels)
        self.loss_fn = loss if loss is not None else NTXentLoss(temperature, exclude_positive=exclude_positive)
        self.config = {"augmentation": self.augmentation, "p": self.p, "augment_both": self.augment_both,
                       "temperature": temperature, "exclude_positive": exclude_positive,
                       "mask_mode": mask_mode}
        reset_linear_xavier(self.projection)

    def reset_parameters(self) -> None:
        self.encoder.reset_parameters()
        reset_linear_xavier(self.projection)

    def views(self, data: Data) -> tuple[Data, Data]:
        """The two views of ``data`` (a new second view; the first is ``data`` unless ``augment_both``)."""
        first = augment_per_graph(data, self.transforms, self.generator) if self.augment_both else data
        return first, augment_per_graph(data, self.transforms, self.generator)

    def project(self, data: Data) -> Tensor:
        """Projected graph embeddings ``[B, d]``."""
        return self.projection(self.encoder(data).graph)

    def loss(self, data: Data) -> Tensor:
        """Contrastive loss of a batch of graphs (lower is better)."""
        first, second = self.views(data)
        return self.loss_fn(self.project(first), self.project(second))

    @torch.no_grad()
    def embed(self, data: Data) -> Tensor:
        """Encoder graph embeddings ``[B, d]`` (not projected), in eval mode without gradients."""
        with evaluation_mode(self):
            return self.encoder(data).graph

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(encoder={self.encoder!r}, augmentation={self.augmentation!r}, "
                f"p={self.p:g}, loss={self.loss_fn!r})")
