r"""GraphCL on the nodes of one graph, as in the citation-network experiments of GraphCL
(You et al., NeurIPS 2020, https://arxiv.org/abs/2010.13902; official code ``unsupervised_Cora_Citeseer``).

It is Deep Graph Infomax with augmented summaries: two views of the graph are drawn with the same
augmentation (subgraph, node dropping, edge perturbation or attribute masking, strength 0.2), each view is
encoded and read out into a summary :math:`s_1`, :math:`s_2`; the nodes of the real graph (positives) and
of the feature-shuffled graph (negatives) are scored against both summaries by DGI's bilinear
discriminator, and, as the official code does, the two scores are added before the binary cross-entropy:
:math:`\ell(D(h_i, s_1) + D(h_i, s_2))`. The official code draws the two views once, before training;
``resample_views=True`` draws new views at every call instead.

Mini-batch training: on a neighbour-sampled subgraph (a batch of :func:`graphcl.data.neighbor_loader`) the
two views are drawn from the sampled subgraph (new views for every batch), their summaries read out over all
the view's nodes, and the seed nodes are scored, as DGI scores them.
"""
from __future__ import annotations

import functools
import weakref
from typing import Callable, Optional

import torch
from torch import Tensor, nn
from torch_geometric.data import Data

from graphcl import augment
from graphcl.methods.base import encode
from graphcl.methods.dgi import DGI, ScoreLoss, node_inputs, seed_count
from graphcl.nn.gcn import GCNEncoder
from graphcl.nn.readout import readout_name

Augmentation = Callable[[Data, Optional[torch.Generator]], Data]

#: The augmentations of GraphCL's citation experiments, by the names of :data:`graphcl.augment.AUGMENTATIONS`.
NODE_AUGMENTATIONS = ("subgraph", "node_drop", "edge_perturb", "attr_mask", "edge_drop")


def make_node_augmentation(name: str, p: float = 0.2) -> Augmentation:
    """``augmentation(data, generator) -> Data`` for a name of :data:`NODE_AUGMENTATIONS`.

    Attribute masking zeroes the masked rows (as the official citation code does).
    """
    functions = {"subgraph": augment.sample_subgraph, "node_drop": augment.drop_nodes,
                 "edge_perturb": augment.perturb_edges, "attr_mask": augment.mask_attributes,
                 "edge_drop": augment.drop_edges}
    if name not in functions:
        raise ValueError(f"unknown augmentation {name!r}; choose one of {list(NODE_AUGMENTATIONS)}")
    function = functions[name]

    def apply(data: Data, generator: Optional[torch.Generator] = None) -> Data:
        return function(data, p, generator=generator)

    functools.update_wrapper(apply, function)
    apply.__name__ = f"{name}(p={p})"
    return apply


class NodeGraphCL(DGI):
    r"""GraphCL's node-level objective: DGI with two augmented summaries.

    Args:
        encoder (nn.Module or int): a node encoder, or the node feature size :math:`F` for DGI's GCN.
        hidden_channels (int, optional): embedding size :math:`d`. (default: :obj:`512`)
        num_layers (int, optional): GCN layers. (default: :obj:`1`)
        augmentation (str or callable, optional): a name of :data:`NODE_AUGMENTATIONS` or a function
            ``(data, generator) -> Data`` producing a view. (default: :obj:`"subgraph"`)
        p (float, optional): augmentation strength when ``augmentation`` is a name. (default: :obj:`0.2`)
        resample_views (bool, optional): draw new views at every :meth:`loss` call instead of once per
            graph. (default: :obj:`False`, as the official code)
        readout (str or callable, optional): summary function. (default: :obj:`"sigmoid_mean"`)
        loss (callable, optional): ``loss(pos_logits, neg_logits) -> scalar``.
            (default: :func:`graphcl.losses.bce_contrastive_loss`)
        generator (torch.Generator, optional): draws the views and the feature shuffle. (default: ``None``)

    The encoder may be any node encoder (see :class:`~graphcl.methods.DGI`); an int builds DGI's GCN.

    Shapes:
        - :meth:`loss`: ``data.x`` ``[N, F]``, ``data.edge_index`` ``[2, E]`` -> scalar
        - :meth:`embed`: -> ``[N, d]``
    """

    def __init__(self, encoder: nn.Module | int, hidden_channels: int = 512, num_layers: int = 1,
                 augmentation: str | Augmentation = "subgraph", p: float = 0.2, resample_views: bool = False,
                 readout: str | Callable = "sigmoid_mean", loss: Optional[ScoreLoss] = None,
                 generator: Optional[torch.Generator] = None) -> None:
        super().__init__(encoder, hidden_channels, num_layers, readout=readout, loss=loss, generator=generator)
        if isinstance(augmentation, str):
            augmentation = make_node_augmentation(augmentation, p)
        elif not callable(augmentation):
            raise TypeError(f"augmentation must be a name or a callable, got {type(augmentation).__name__}")
        self.augmentation = augmentation
        self.resample_views = resample_views
        self._views: Optional[tuple[weakref.ref, Data, Data]] = None

    def reset_parameters(self) -> None:
        super().reset_parameters()
        self._views = None

    def views(self, data: Data) -> tuple[Data, Data]:
        """The two augmented views of ``data`` (drawn once per graph unless ``resample_views``)."""
        if not self.resample_views and self._views is not None and self._views[0]() is data:
            return self._views[1], self._views[2]
        first = self.augmentation(data, self.generator)
        second = self.augmentation(data, self.generator)
        for view in (first, second):
            if view.num_nodes == 0:
                raise ValueError("an augmented view has no nodes; lower the augmentation strength")
        if not self.resample_views:
            self._views = (weakref.ref(data), first, second)
        return first, second

    def _view_summary(self, view: Data, data: Data, projected: Optional[Tensor]) -> Tensor:
        if projected is not None and view.x is data.x:  # edge augmentations: reuse the first layer's product
            h = self.encoder.propagate(projected, view.edge_index).node
        else:
            h = encode(self.encoder, view).node
        return self.readout(h)

    def loss(self, data: Data) -> Tensor:
        """The objective on one graph; the method's generator draws the views (once) and the shuffle."""
        if getattr(data, "batch", None) is not None and int(data.batch.max()) > 0:
            raise ValueError("NodeGraphCL works on one graph; got a batch of several graphs")
        node_inputs(data, self.in_channels)
        first, second = self.views(data)
        projected, positive, negative = self.real_and_corrupted(data)
        summary_1 = self._view_summary(first, data, projected)
        summary_2 = self._view_summary(second, data, projected)
        seeds = seed_count(data)
        if seeds is not None:  # a sampled subgraph: score its seed nodes against the views' summaries
            positive, negative = positive[:seeds], negative[:seeds]
        pos_logits = self.discriminator(positive, summary_1) + self.discriminator(positive, summary_2)
        neg_logits = self.discriminator(negative, summary_1) + self.discriminator(negative, summary_2)
        return self.loss_fn(pos_logits, neg_logits)

    def __repr__(self) -> str:
        name = getattr(self.augmentation, "__name__", type(self.augmentation).__name__)
        encoder = (f"{self.encoder.in_channels}, {self.hidden_channels}, num_layers={self.encoder.num_layers}"
                   if isinstance(self.encoder, GCNEncoder) else f"encoder={self.encoder!r}")
        return (f"{self.__class__.__name__}({encoder}, augmentation={name}, "
                f"readout={readout_name(self.readout)!r})")

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_views"] = None  # weak reference to the training graph
        return state
