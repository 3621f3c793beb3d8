"""A batch loader that collates graphs of an in-memory dataset with index arithmetic.

PyG's :class:`~torch_geometric.loader.DataLoader` builds every mini-batch with
:meth:`Batch.from_data_list`: one :class:`Data` per graph separated from the dataset's storage, then one
concatenation per attribute, a Python loop over the graphs of the batch. An :class:`InMemoryDataset` already
keeps all graphs concatenated with per-attribute boundaries (read through
:func:`graphcl.data._storage.stored_graphs`), so a batch is a gather: the rows of the chosen graphs,
``edge_index`` shifted by the new node offsets, and the ``batch``/``ptr`` vectors from the node counts. :class:`InMemoryGraphLoader` does that and returns the same
:class:`Batch` as PyG's loader (same tensors, same ``batch``/``ptr``, and :meth:`Batch.to_data_list` works).

When it applies (:func:`supports_vectorized_collation`): a :class:`InMemoryDataset` (or a PyG
``index_select``/``shuffle`` view of one, or a :class:`torch.utils.data.Subset` of those) without a
``transform``, whose class keeps PyG's ``get``/``__getitem__``, whose stored graph is a plain :class:`Data`
(not a subclass with its own ``__inc__``/``__cat_dim__``, not heterogeneous), and whose stored attributes are
all plain dense tensors with slices, none named ``*batch*`` or ``ptr``; node counts come from ``x``/``pos`` (or
another of PyG's node keys) or from the stored ``num_nodes``. Anything else goes through PyG's loader
(:func:`graph_loader` picks).
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

import torch
from torch import Tensor
from torch.utils.data import DataLoader as TorchDataLoader
from torch.utils.data import Dataset as TorchDataset
from torch.utils.data import Subset
from torch_geometric.data import Batch, Data, InMemoryDataset
from torch_geometric.data import Dataset as PyGDataset
from torch_geometric.loader import DataLoader as PyGDataLoader

from graphcl.augment._collation import set_collation, stored_num_nodes
from graphcl.data._storage import stored_graphs

__all__ = ["InMemoryGraphLoader", "InMemoryCollater", "graph_loader", "supports_vectorized_collation"]

# PyG's keys from which a graph's node count is read (torch_geometric.data.storage.N_KEYS, in the order
# that a Data with several of them answers ``num_nodes``: the first one found among its keys).
_NODE_KEYS = ("x", "feat", "pos", "node_type", "n_id")


def _storage(dataset: Any) -> tuple[Optional[InMemoryDataset], Optional[Tensor]]:
    """The in-memory dataset behind ``dataset`` and the map from ``dataset`` positions to stored graphs."""
    if isinstance(dataset, Subset):
        inner, index = _storage(dataset.dataset)
        if inner is None:
            return None, None
        return inner, index[torch.as_tensor(list(dataset.indices), dtype=torch.long)]
    if not isinstance(dataset, InMemoryDataset):
        return None, None
    indices = dataset.indices()
    if isinstance(indices, range):
        index = torch.arange(indices.start, indices.stop, indices.step, dtype=torch.long)
    else:
        index = torch.as_tensor(indices, dtype=torch.long).view(-1)
    return dataset, index


def _unsupported_reason(dataset: Any) -> Optional[str]:
    inner, _ = _storage(dataset)
    if inner is None:
        return "not an InMemoryDataset"
    views = [dataset]
    while isinstance(views[-1], Subset):
        views.append(views[-1].dataset)
    for view in views[1:] if isinstance(dataset, Subset) else views:
        if getattr(view, "transform", None) is not None:
            return "the dataset has a transform"
    cls = type(inner)
    if cls.get is not InMemoryDataset.get or cls.__getitem__ is not PyGDataset.__getitem__:
        return "the dataset overrides get/__getitem__"
    data, slices = stored_graphs(inner)
    if type(data) is not Data or slices is None:
        return "the stored graph is not a plain Data with slices"
    if inner.len() <= 1:
        return "a dataset of one graph"
    for key, value in data.items():
        if key == "num_nodes":
            continue
        if type(value) is not Tensor or value.is_sparse or key not in slices:
            return f"attribute {key!r} is not a dense tensor with slices"
        if "batch" in key or key == "ptr" or value.dim() == 0:
            return f"attribute {key!r} is collated specially by PyG"
    if stored_num_nodes(data) is None and not any(key in slices for key in _NODE_KEYS):
        return "node counts cannot be read from the storage"
    return None


def supports_vectorized_collation(dataset: Any) -> bool:
    """Whether :class:`InMemoryGraphLoader` can collate ``dataset`` (see the module docstring for the rule)."""
    return _unsupported_reason(dataset) is None


class InMemoryCollater:
    r"""Collates graphs of an in-memory dataset, given their positions in it, into a :class:`Batch` equal to
    :meth:`Batch.from_data_list` of ``[dataset[i] for i in positions]``, without building the graphs.

    Args:
        dataset (InMemoryDataset or Subset): the dataset (see :func:`supports_vectorized_collation`).
    """

    def __init__(self, dataset: Any) -> None:
        reason = _unsupported_reason(dataset)
        if reason is not None:
            raise ValueError(f"cannot collate this dataset by index arithmetic: {reason}; use PyG's DataLoader")
        inner, self.index = _storage(dataset)
        data, slices = stored_graphs(inner)
        self.data: Data = data
        self.slices: dict[str, Tensor] = dict(slices)
        self.keys = [key for key in self.data.keys() if key != "num_nodes"]
        num_nodes = stored_num_nodes(self.data)
        if num_nodes is not None and isinstance(num_nodes, (list, tuple)):
            self.node_counts = torch.as_tensor(list(num_nodes), dtype=torch.long)
            self.stored_counts = True
        else:
            node_key = next(key for key in self.data.keys() if key in _NODE_KEYS and key in self.slices)
            self.node_counts = self.slices[node_key].diff()
            self.stored_counts = False

    def __call__(self, positions: Sequence[int] | Tensor) -> Batch:
        """``positions`` (list of ints or LongTensor ``[G]``): positions in the dataset, in batch order."""
        positions = torch.as_tensor(positions, dtype=torch.long).view(-1)
        if positions.numel() == 0:
            raise ValueError("cannot collate an empty batch")
        graphs = self.index[positions]  # ids in the storage
        num_graphs = graphs.numel()
        counts = self.node_counts[graphs]
        node_ptr = torch.cat([counts.new_zeros(1), counts.cumsum(0)])
        out = Batch(_base_cls=Data)
        slice_dict: dict[str, Tensor] = {}
        inc_dict: dict[str, Tensor] = {}
        gathered: dict[int, tuple[Tensor, Tensor, Tensor]] = {}  # per slices tensor: rows, sizes, new slices
        for key in self.keys:
            value = self.data[key]
            stored_slices = self.slices[key]
            cached = gathered.get(id(stored_slices))
            if cached is None:
                starts = stored_slices[graphs]
                sizes = stored_slices[graphs + 1] - starts
                new_slices = torch.cat([sizes.new_zeros(1), sizes.cumsum(0)])
                if bool((sizes == 1).all()):
                    rows = starts
                else:
                    # row r of graph g in the batch comes from starts[g] + (r - new_slices[g])
                    rows = torch.arange(int(new_slices[-1]), dtype=torch.long)
                    rows += torch.repeat_interleave(starts - new_slices[:-1], sizes, output_size=rows.numel())
                cached = gathered[id(stored_slices)] = (rows, sizes, new_slices)
            rows, sizes, new_slices = cached
            incremented = "index" in key or key == "face"
            cat_dim = -1 if incremented else 0
            value = value.index_select(cat_dim, rows)
            if incremented:
                inc = node_ptr[:-1]
                value = value + torch.repeat_interleave(inc, sizes, output_size=rows.numel())
                inc_dict[key] = inc.clone()
            else:
                inc_dict[key] = torch.zeros(num_graphs, dtype=torch.long)
            out[key] = value
            slice_dict[key] = new_slices
        num_nodes = None
        if self.stored_counts:
            num_nodes = counts.tolist()
            out.num_nodes = int(node_ptr[-1])
        out.batch = torch.repeat_interleave(torch.arange(num_graphs), counts, output_size=int(node_ptr[-1]))
        out.ptr = node_ptr
        set_collation(out, slice_dict, inc_dict, num_graphs, num_nodes)
        return out


class _Positions(TorchDataset):
    """Stands for a dataset in a :class:`torch.utils.data.DataLoader`: item ``i`` is ``i`` itself, so the
    loader's samplers work as over the dataset and the collate function receives the positions of a batch."""

    def __init__(self, dataset: Any) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> int:
        return index

    def __getitems__(self, indices: list[int]) -> list[int]:
        return list(indices)


class InMemoryGraphLoader(TorchDataLoader):
    r"""Mini-batches of an in-memory graph dataset collated by index arithmetic (:class:`InMemoryCollater`),
    equal to those of PyG's :class:`~torch_geometric.loader.DataLoader` with the same arguments: the sampler,
    batch sampler and ``generator`` are torch's, built and drawn exactly as in PyG's loader, so a seeded loader
    gives the same batches in the same order.

    Args:
        dataset (InMemoryDataset or Subset): see :func:`supports_vectorized_collation`.
        batch_size (int, optional): graphs per batch. (default: ``1``)
        shuffle (bool, optional): reshuffle every epoch. (default: ``False``)
        **kwargs: any other :class:`torch.utils.data.DataLoader` argument (``sampler``, ``generator``,
            ``drop_last``, ``num_workers``, ...) except ``collate_fn``.

    ``loader.dataset`` is the positions stand-in; the graphs are ``loader.graph_dataset``.
    """

    def __init__(self, dataset: Any, batch_size: Optional[int] = 1, shuffle: Optional[bool] = False,
                 **kwargs: Any) -> None:
        if "collate_fn" in kwargs:
            raise ValueError("InMemoryGraphLoader builds its own collate_fn")
        if kwargs.pop("follow_batch", None) or kwargs.pop("exclude_keys", None):
            raise ValueError("InMemoryGraphLoader supports neither follow_batch nor exclude_keys; use PyG's "
                             "DataLoader")
        self.graph_dataset = dataset
        super().__init__(_Positions(dataset), batch_size=batch_size, shuffle=shuffle,
                         collate_fn=InMemoryCollater(dataset), **kwargs)


def graph_loader(dataset: Any, batch_size: int = 1, shuffle: bool = False, **kwargs: Any) -> TorchDataLoader:
    """An :class:`InMemoryGraphLoader` when ``dataset`` qualifies (:func:`supports_vectorized_collation`),
    else PyG's :class:`~torch_geometric.loader.DataLoader`; same arguments, same batches."""
    if supports_vectorized_collation(dataset):
        return InMemoryGraphLoader(dataset, batch_size=batch_size, shuffle=shuffle, **kwargs)
    return PyGDataLoader(dataset, batch_size=batch_size, shuffle=shuffle, **kwargs)
