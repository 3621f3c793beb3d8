"""A random augmentation per graph, the whole batch augmented at once (GraphCL, You et al., NeurIPS 2020,
https://arxiv.org/abs/2010.13902: each graph of the official TU code draws its own augmentation)."""
from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import Tensor
from torch_geometric.data import Batch, Data

from graphcl.augment._graph import check_data, check_graph_mask, is_batch, layout, new_like, select_nodes
from graphcl.augment.base import Augmentation, apply_to_graphs, selects_nodes

Transform = Callable[[Data], Data]


def _check_transforms(transforms: Sequence[Transform]) -> list[Transform]:
    transforms = list(transforms)
    if not transforms:
        raise ValueError("a per-graph random choice needs at least one transform")
    for transform in transforms:
        if not callable(transform):
            raise TypeError(f"{transform!r} is not callable")
    return transforms


def _check_probs(probs: Sequence[float] | Tensor | None, count: int) -> Tensor:
    if probs is None:
        return torch.full((count,), 1.0 / count, dtype=torch.float64)
    weights = torch.as_tensor(probs.tolist() if isinstance(probs, Tensor) else list(probs), dtype=torch.float64)
    if weights.dim() != 1 or weights.numel() != count:
        raise ValueError(f"got {weights.numel()} probabilities for {count} transforms")
    if not bool(torch.isfinite(weights).all()) or bool((weights < 0).any()) or float(weights.sum()) <= 0:
        raise ValueError("probabilities must be finite, non-negative and not all zero")
    return weights / weights.sum()


def draw_per_graph(num_graphs: int, probs: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """An index in ``[0, K)`` for each of ``num_graphs`` graphs, drawn independently with ``probs`` (``[K]``).

    Returns:
        A long tensor of shape ``[num_graphs]`` on the generator's device (CPU without one).
    """
    if num_graphs == 0:
        return torch.zeros(0, dtype=torch.long)
    device = generator.device if generator is not None else torch.device("cpu")
    return torch.multinomial(probs.to(device), num_graphs, replacement=True, generator=generator)


def random_choice_per_graph(data: Data, transforms: Sequence[Transform], probs: Sequence[float] | None = None,
                            generator: torch.Generator | None = None, graph_mask: Tensor | None = None,
                            return_choice: bool = False) -> Data | tuple[Data, Tensor]:
    r"""Augment every graph with one transform drawn for it from ``transforms``.

    Graph :math:`i` draws :math:`c_i \sim \mathrm{Categorical}(\text{probs})` independently of the others,
    and comes back as ``transforms[c_i]`` would augment it alone. The candidates are applied one after the
    other, each restricted to the graphs that drew it (:func:`~graphcl.augment.base.apply_to_graphs`), so
    every graph is touched by exactly one of them and there is no loop over graphs: built-in augmentations
    (and :class:`~graphcl.augment.Compose` / :class:`~graphcl.augment.RandomChoice` of them) draw their
    random masks inside the chosen graphs of the whole batch; any other callable is called once on the
    collated sub-batch of the graphs that drew it, which is then spliced back (slower, still vectorized).
    The result is a collated :class:`~torch_geometric.data.Batch` in the original graph order whose
    :meth:`~torch_geometric.data.Batch.to_data_list` gives the augmented graphs, node-, edge- and
    graph-level fields carried.

    Args:
        data (Data or Batch): ``B`` graphs (a :class:`~torch_geometric.data.Data` is one graph and draws
            one transform); not modified.
        transforms (sequence of callables): the ``K`` candidates.
        probs (sequence of float, optional): their probabilities, normalised. (default: :obj:`None`, uniform)
        generator (torch.Generator, optional): source of the draws (the transforms use their own).
            (default: :obj:`None`, global RNG)
        graph_mask (Tensor, optional): boolean ``[B]``; only these graphs draw and are augmented.
            (default: :obj:`None`, all graphs)
        return_choice (bool, optional): also return the drawn index per graph (``-1`` outside
            ``graph_mask``), shape ``[B]``. (default: :obj:`False`)

    Returns:
        A new object of the same type (and the choices when ``return_choice``).

    Raises:
        ValueError: bad ``probs``, or a :class:`~torch_geometric.data.Batch` not built by
            :meth:`~torch_geometric.data.Batch.from_data_list` (its graphs cannot be told apart).

    Example:
        >>> from graphcl.augment import DropNodes, SampleSubgraph
        >>> view = random_choice_per_graph(batch, [DropNodes(0.2), SampleSubgraph(0.2)])
    """
    transforms = _check_transforms(transforms)
    weights = _check_probs(probs, len(transforms))
    check_data(data)
    if isinstance(data, Batch) and not is_batch(data) and ("batch" in data or "ptr" in data):
        raise ValueError("a Batch must come from Batch.from_data_list (or a DataLoader) to be augmented per graph")
    info = layout(data, allow_empty=True)
    graph_mask = check_graph_mask(graph_mask, info)
    device = info.node_graph.device
    if len(transforms) == 1:  # nothing to choose: no draw, so the stream is that of the transform alone
        choice = torch.zeros(info.num_graphs, dtype=torch.long, device=device)
    else:
        choice = draw_per_graph(info.num_graphs, weights, generator).to(device)
    if graph_mask is not None:
        choice = torch.where(graph_mask, choice, torch.full_like(choice, -1))
    out = new_like(data)
    present = torch.bincount(choice[choice >= 0], minlength=len(transforms)).tolist()
    node_selecting = []
    for index, transform in enumerate(transforms):
        if not present[index]:
            continue
        if selects_nodes(transform):
            node_selecting.append(index)
        else:
            out = apply_to_graphs(transform, out, choice == index)
    if node_selecting:
        # The graphs are disjoint, so the node-selecting candidates (node dropping, subgraphs) can read the
        # same batch and share one selection.
        if len(node_selecting) == len([count for count in present if count]):
            if bool((info.node_counts == 0).any()):
                layout(out)  # raises the error of an empty graph
        else:
            info = layout(out)
        keep = None
        for index in node_selecting:
            kept = transforms[index]._node_keep(out, info, choice == index)
            keep = kept if keep is None else keep & kept
        out = select_nodes(out, info, keep)
    return (out, choice) if return_choice else out


class RandomChoicePerGraph(Augmentation):
    r"""Transform form of :func:`random_choice_per_graph`: each graph draws its own augmentation.

    Unlike :class:`~graphcl.augment.RandomChoice` (one draw per call, for the whole batch), every graph of
    a :class:`~torch_geometric.data.Batch` draws independently. The last draw is kept in
    :attr:`last_choice` (shape ``[B]``).

    Args:
        transforms (sequence of callables): the candidates.
        probs (sequence of float, optional): their probabilities (normalised). (default: :obj:`None`, uniform)
        generator (torch.Generator, optional): source of the draws. (default: :obj:`None`)

    Example:
        >>> RandomChoicePerGraph([DropNodes(0.2), SampleSubgraph(0.2)])
        RandomChoicePerGraph([DropNodes(p=0.2), SampleSubgraph(p=0.2)])
    """

    def __init__(self, transforms: Sequence[Transform], probs: Sequence[float] | None = None,
                 generator: torch.Generator | None = None) -> None:
        super().__init__(None, generator)
        self.transforms = _check_transforms(transforms)
        self.probs = _check_probs(probs, len(self.transforms))
        self.last_choice: Tensor | None = None

    def forward(self, data: Data) -> Data:
        out, self.last_choice = random_choice_per_graph(data, self.transforms, self.probs, self.generator,
                                                        return_choice=True)
        return out

    def _forward_graphs(self, data: Data, graph_mask: Tensor) -> Data:
        out, self.last_choice = random_choice_per_graph(data, self.transforms, self.probs, self.generator,
                                                        graph_mask=graph_mask, return_choice=True)
        return out

    def __repr__(self) -> str:
        probs = "" if bool(torch.allclose(self.probs, self.probs.mean().expand_as(self.probs))) else \
            f", probs={[round(p, 4) for p in self.probs.tolist()]}"
        return f"{self.__class__.__name__}([{', '.join(repr(t) for t in self.transforms)}]{probs})"
