"""The one place where graphcl reads or rewrites the collated storage of a PyG :class:`InMemoryDataset`.

An in-memory dataset keeps all graphs concatenated in one :class:`Data` (``dataset._data``) with per-attribute
boundaries (``dataset.slices``) and a cache of separated graphs (``dataset._data_list``). PyG has no public
accessor for the storage (``dataset.data`` warns that it is internal), yet graph-wide edits such as giving
every TU graph degree features, and batching by index arithmetic, need it. Every access outside the
datasets' own classes goes through the functions below; ``tests/data/test_storage.py`` fails when PyG
changes the layout.
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor
from torch_geometric.data import Data, InMemoryDataset


def stored_graphs(dataset: InMemoryDataset) -> tuple[Data, Optional[dict[str, Tensor]]]:
    """The concatenated graphs of ``dataset`` and their per-attribute boundaries (``None`` for one graph)."""
    return dataset._data, dataset.slices


def node_offsets(dataset: InMemoryDataset) -> Tensor:
    """Per-graph node offsets ``[G + 1]``: the nodes of graph ``i`` are ``offsets[i]:offsets[i + 1]``."""
    storage, slices = stored_graphs(dataset)
    if slices is not None and "x" in slices:
        return slices["x"]
    counts = getattr(storage, "_num_nodes", None)  # graphs without node tensors declare their sizes here
    if isinstance(counts, (list, tuple)) and len(counts) == len(dataset):
        counts = torch.tensor(counts, dtype=torch.long)
    else:
        counts = torch.tensor([dataset.get(i).num_nodes for i in range(len(dataset))], dtype=torch.long)
    return torch.cat([torch.zeros(1, dtype=torch.long), counts.cumsum(0)])


def replace_node_attribute(dataset: InMemoryDataset, key: str, value: Tensor, offsets: Tensor) -> None:
    """Store the node-level tensor ``value`` (all graphs concatenated, rows cut at ``offsets``) as ``key`` of
    every graph of ``dataset``, in place, and drop the graphs PyG cached with the old value."""
    if value.size(0) != int(offsets[-1]):
        raise ValueError(f"{key} has {value.size(0)} rows but the dataset has {int(offsets[-1])} nodes")
    storage, slices = stored_graphs(dataset)
    storage[key] = value
    slices[key] = offsets
    dataset._data_list = None
