"""Views made while loading: an augmentation applied per graph inside DataLoader workers.

Costly per-graph augmentations (MoCL's RDKit substructure substitution) can then run in worker processes
and overlap with the network. Each item is ``[graph, view_1, ..., view_k]``; PyG's ``DataLoader`` collates
that into a list of :class:`~torch_geometric.data.Batch` (graphs and views aligned by position).
"""
from __future__ import annotations

import copy
from typing import Any, Callable

import torch
from torch.utils.data import Dataset, get_worker_info

from graphcl.utils.checks import check_positive_int


class AugmentedViews(Dataset):
    """A dataset whose items are a graph and ``num_views`` augmented views of it.

    In the main process the augmentation draws from its own ``generator`` (so it is the one a checkpoint
    records). In a DataLoader worker, a copy of the augmentation draws from a generator seeded with the
    worker's seed (``torch.utils.data.get_worker_info().seed``: the loader's base seed, itself drawn from
    the loader's generator each epoch, plus the worker id). Runs are therefore reproducible for a given
    number of workers, and a resumed run replays the workers exactly; different worker counts give
    different (equally valid) draws.

    Args:
        dataset (Dataset): graphs (e.g. molecules carrying ``smiles``).
        augmentation (callable): ``augmentation(graph) -> graph`` with a ``generator`` attribute
            (e.g. :class:`~graphcl.augment.chemistry.SubstructureSubstitution`).
        num_views (int, optional): views per graph. (default: ``2``)
    """

    def __init__(self, dataset, augmentation: Callable[[Any], Any], num_views: int = 2) -> None:
        if not callable(augmentation):
            raise TypeError("augmentation must be callable on one graph")
        if not hasattr(augmentation, "generator"):
            raise TypeError(f"{type(augmentation).__name__} has no `generator` attribute; workers could not be "
                            f"seeded reproducibly")
        self.dataset = dataset
        self.augmentation = augmentation
        self.num_views = check_positive_int("num_views", num_views)
        self._worker_seed: int | None = None
        self._worker_augmentation = None

    def __len__(self) -> int:
        return len(self.dataset)

    def _current_augmentation(self):
        info = get_worker_info()
        if info is None:
            return self.augmentation
        if self._worker_seed != info.seed:  # a new worker (new epoch): its own generator
            self._worker_augmentation = copy.copy(self.augmentation)
            self._worker_augmentation.generator = torch.Generator().manual_seed(info.seed)
            self._worker_seed = info.seed
        return self._worker_augmentation

    def __getitem__(self, index: int) -> list:
        graph = self.dataset[index]
        augmentation = self._current_augmentation()
        return [graph, *(augmentation(graph) for _ in range(self.num_views))]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.dataset!r}, {self.augmentation!r}, num_views={self.num_views})"
