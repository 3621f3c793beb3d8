"""Common base of the augmentation transforms, and augmenting a subset of the graphs of a batch."""
from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.transforms import BaseTransform

from graphcl.augment._graph import check_graph_mask, check_ratio, layout, new_like, replace_graphs, select_graphs


class Augmentation(BaseTransform):
    r"""A :class:`~torch_geometric.transforms.BaseTransform` that returns a new augmented graph.

    Subclasses implement :meth:`forward`; the input is never modified. A subclass that can restrict itself
    to some graphs of a batch also implements ``_forward_graphs(data, graph_mask)``, which
    :meth:`augment_graphs` then uses (all built-in augmentations do).

    Args:
        p (float, optional): strength in :math:`[0, 1]`. (default: :obj:`None`, no strength)
        generator (torch.Generator, optional): source of randomness. (default: :obj:`None`, global RNG)
    """

    def __init__(self, p: float | None = None, generator: torch.Generator | None = None) -> None:
        self.p = check_ratio(p) if p is not None else None
        self.generator = generator

    def __call__(self, data: Data) -> Data:
        return self.forward(data)

    def forward(self, data: Data) -> Data:  # pragma: no cover - abstract
        raise NotImplementedError

    def augment_graphs(self, data: Data, graph_mask: Tensor) -> Data:
        """Augment only the graphs of ``data`` where ``graph_mask`` (boolean ``[B]``) holds; the others
        come back unchanged (see :func:`apply_to_graphs`)."""
        return apply_to_graphs(self, data, graph_mask)

    def _extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        parts = [] if self.p is None else [f"p={self.p:g}"]
        extra = self._extra_repr()
        if extra:
            parts.append(extra)
        return f"{self.__class__.__name__}({', '.join(parts)})"


def _implements(transform: Callable[[Data], Data], method: str) -> bool:
    if not isinstance(transform, Augmentation):
        return False
    cls = type(transform)
    owner = next((klass for klass in cls.__mro__ if method in vars(klass)), None)
    return owner is not None and cls.forward is owner.forward and cls.__call__ is Augmentation.__call__


def supports_graph_mask(transform: Callable[[Data], Data]) -> bool:
    """Whether ``transform`` restricts itself to a subset of graphs natively (with tensor masks).

    True for an :class:`Augmentation` that implements ``_forward_graphs`` and whose ``forward`` and
    ``__call__`` are the ones written next to it; a subclass that overrides ``forward`` (its own behaviour)
    is not trusted to follow ``_forward_graphs`` and takes the general route.
    """
    return _implements(transform, "_forward_graphs")


def selects_nodes(transform: Callable[[Data], Data]) -> bool:
    """Whether ``transform`` only keeps a subset of nodes (with their induced edges) and can say which:
    ``transform._node_keep(data, info, graph_mask)`` gives the boolean ``[N]`` mask of the kept nodes
    (node dropping, subgraph sampling). Several such transforms on disjoint graphs share one
    :func:`~graphcl.augment._graph.select_nodes`."""
    return _implements(transform, "_node_keep")


def apply_to_graphs(transform: Callable[[Data], Data], data: Data, graph_mask: Tensor) -> Data:
    r"""Apply ``transform`` to the graphs of ``data`` where ``graph_mask`` holds; the others are unchanged.

    Built-in augmentations (see :func:`supports_graph_mask`) draw and apply their masks only inside the
    selected graphs, on the whole batch at once. Any other callable (a user function, a subclass that
    overrides ``forward``, :class:`~graphcl.augment.SubstructureSubstitution`) takes the general route:
    the selected graphs are cut out as one collated sub-batch, ``transform`` is called once on it, and its
    graphs are put back in place — index arithmetic only, no loop over graphs, but three batch rebuilds
    instead of one masked pass. Such a callable must map a batch of :math:`S` graphs to a batch of
    :math:`S` graphs in the same order carrying the same node- and edge-level fields (graph-level fields
    it returns replace the old ones).

    Args:
        transform (callable): ``Data``/``Batch`` in, same type out.
        data (Data or Batch): ``B`` graphs (``B = 1`` for a :class:`~torch_geometric.data.Data`); not modified.
        graph_mask (Tensor): boolean, shape ``[B]``.

    Returns:
        A new object of the same type with graph ``i`` augmented when ``graph_mask[i]``.
    """
    info = layout(data, allow_empty=True)
    graph_mask = check_graph_mask(graph_mask, info)
    if not bool(graph_mask.any()):
        return new_like(data)
    if supports_graph_mask(transform):
        return transform._forward_graphs(data, graph_mask)
    if bool(graph_mask.all()):
        return transform(data)
    return replace_graphs(data, info, graph_mask, transform(select_graphs(data, info, graph_mask)))
