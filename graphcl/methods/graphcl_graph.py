"""GraphCL at the graph level (You et al., NeurIPS 2020, https://arxiv.org/abs/2010.13902).

Two views of every graph, a shared encoder, a projection head and NT-Xent between the views' graph
embeddings. The defaults follow the official unsupervised TU code: the first view is the graph itself and
the second an augmented copy whose augmentation is drawn per graph from the chosen mode's set.
"""
from __future__ import annotations

from typing import Callable, Mapping, Optional, Sequence

import torch
from torch import Tensor, nn
from torch_geometric.data import Data

from graphcl.augment import GRAPHCL_AUGMENTATION_MODES, build_augmentations, random_choice_per_graph
from graphcl.losses.nt_xent import NTXentLoss
from graphcl.methods.base import Method, encode_graphs, encoder_channels, graph_views, resolve_augmentations
from graphcl.nn.projection import ProjectionHead

__all__ = ["GRAPHCL_AUGMENTATION_MODES", "build_augmentations", "projection_head", "augment_per_graph", "GraphCL"]

LossFunction = Callable[[Tensor, Tensor], Tensor]

#: Subgraph strength of the official GraphCL chemistry code (``transferLearning_MoleculeNet_PPI/chem``): the
#: subgraph keeps 20 % of the atoms (``p = 0.8`` nodes removed), while node dropping removes 20 %. graphcl's
#: default keeps 80 % (``p = 0.2`` for every augmentation, as the paper states).
GRAPHCL_CHEM_SUBGRAPH_P = 0.8


def projection_head(channels: int, hidden_channels: Optional[int] = None,
                    out_channels: Optional[int] = None) -> ProjectionHead:
    """The 2-layer projection head of GraphCL (Linear-ReLU-Linear, all ``channels`` wide by default) with
    the official Xavier initialisation."""
    head = ProjectionHead(channels, hidden_channels or channels, out_channels or channels, num_layers=2)
    head.reset_xavier()
    return head


def augment_per_graph(data: Data, transforms: Sequence[Callable[[Data], Data]],
                      generator: Optional[torch.Generator] = None) -> Data:
    """Apply to every graph of a batch one transform drawn uniformly from ``transforms``
    (:func:`graphcl.augment.random_choice_per_graph`: the whole batch at once, graph order kept)."""
    return random_choice_per_graph(data, transforms, generator=generator)


class GraphCL(Method):
    r"""Graph-level GraphCL: views → encoder → projection head → contrastive loss.

    Args:
        encoder (nn.Module): returns :class:`~graphcl.nn.EncoderOutput` with graph embeddings; it must
            expose ``out_channels`` (e.g. :class:`~graphcl.nn.GINEncoder`).
        augmentation (str or sequence, optional): an official mode (``"dnodes"``, ``"pedges"``,
            ``"subgraph"``, ``"mask_nodes"``, ``"random2"``, ``"random3"``, ``"random4"``, ``"none"``, see
            :data:`~graphcl.augment.GRAPHCL_AUGMENTATION_MODES`), or a sequence of augmentation names and/or
            callables ``Data -> Data`` (e.g. :class:`~graphcl.augment.SubstructureSubstitution`); each
            augmented graph draws one of them. (default: :obj:`"random2"`)
        p (float, optional): strength of the named augmentations. (default: :obj:`0.2`)
        augment_both (bool, optional): augment both views (the paper's formulation) instead of contrasting
            the graph with one augmented copy (the official TU code). (default: :obj:`False`)
        temperature (float, optional): NT-Xent temperature. (default: :obj:`0.2`)
        exclude_positive (bool, optional): the official denominator without the positive pair; ``False``
            gives SimCLR's. (default: :obj:`True`)
        loss (callable, optional): any ``(z1, z2) -> scalar``, e.g. a loss module of
            :mod:`graphcl.losses`, replacing NT-Xent. (default: :obj:`None`)
        mask_mode (str, optional): fill of attribute masking. (default: :obj:`"gaussian"`)
        generator (torch.Generator, optional): source of the augmentation randomness. (default: ``None``)
        strengths (dict, optional): per-augmentation strengths replacing ``p`` for named augmentations, e.g.
            the official chemistry setting ``{"subgraph": GRAPHCL_CHEM_SUBGRAPH_P}`` (the subgraph keeps 20 % of
            the atoms while node dropping removes 20 %). (default: ``None``)

    Shapes:
        - :meth:`loss`: a batch of ``B`` graphs -> scalar
        - :meth:`embed`: -> ``[B, d]`` graph embeddings (encoder output, not projected)

    Example:
        >>> from graphcl.nn import GINEncoder
        >>> model = GraphCL(GINEncoder(7), augmentation="random4")
    """

    def __init__(self, encoder: nn.Module, augmentation: str | Sequence[str | Callable] = "random2",
                 p: float = 0.2, augment_both: bool = False, temperature: float = 0.2,
                 exclude_positive: bool = True, loss: Optional[LossFunction] = None, mask_mode: str = "gaussian",
                 generator: Optional[torch.Generator] = None,
                 strengths: Optional[Mapping[str, float]] = None) -> None:
        super().__init__(generator)
        channels = encoder_channels(encoder)
        if loss is not None and not callable(loss):
            raise TypeError("loss must be a callable (z1, z2) -> scalar")
        self.encoder = encoder
        self.augmentation = augmentation
        self.transforms = resolve_augmentations(augmentation, p, mask_mode, generator, strengths)
        self.p = float(p)
        self.augment_both = bool(augment_both)
        self.projection = projection_head(channels)
        self.loss_fn = loss if loss is not None else NTXentLoss(temperature, exclude_positive=exclude_positive)

    def reset_parameters(self) -> None:
        self.encoder.reset_parameters()
        self.projection.reset_xavier()

    def views(self, data: Data) -> tuple[Data, Data]:
        """The two views of ``data`` (a new second view; the first is ``data`` unless ``augment_both``)."""
        return graph_views(data, self.transforms, self.generator, self.augment_both)

    def project(self, data: Data) -> Tensor:
        """Projected graph embeddings ``[B, d]``."""
        return self.projection(encode_graphs(self.encoder, data))

    def loss(self, data: Data) -> Tensor:
        """Contrastive loss of a batch of graphs (lower is better)."""
        first, second = self.views(data)
        return self.loss_fn(self.project(first), self.project(second))

    def embedding(self, data: Data) -> Tensor:
        """Encoder graph embeddings ``[B, d]`` (not projected)."""
        return encode_graphs(self.encoder, data)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(encoder={self.encoder!r}, augmentation={self.augmentation!r}, "
                f"p={self.p:g}, loss={self.loss_fn!r})")
