"""The one place where graphcl reads or writes PyG's private collation metadata.

:meth:`Batch.to_data_list` and :meth:`Batch.get_example` cut a batch back into graphs with the slices and
increments that :meth:`Batch.from_data_list` stored on it (``_slice_dict``, ``_inc_dict``, ``_num_graphs``
and, for graphs without node-level tensors, ``_num_nodes``). PyG has no public API to read or rebuild them,
yet an augmentation that changes the number of nodes or edges of some graphs must rewrite them, or
``to_data_list`` would cut the new tensors at the old places. Every access to those private fields goes
through the functions below; ``tests/augment/test_collation.py`` fails when PyG changes the layout, and
``pyproject.toml`` bounds ``torch-geometric`` to the versions checked.
"""
from __future__ import annotations

from typing import Optional

from torch import Tensor
from torch_geometric.data import Batch, Data


def is_collated(data: Data) -> bool:
    """Whether ``data`` is a :class:`Batch` built by :meth:`Batch.from_data_list` (it can be separated)."""
    return isinstance(data, Batch) and hasattr(data, "_slice_dict")


def slices(data: Batch) -> dict[str, Tensor]:
    """Per-key boundaries of the graphs: ``slices[key][i]:slices[key][i + 1]`` rows belong to graph ``i``."""
    return dict(data._slice_dict)


def increments(data: Batch) -> dict[str, Optional[Tensor]]:
    """Per-key offsets added at collation (``edge_index``: the first node of each graph; others zeros)."""
    return dict(data._inc_dict)


def stored_num_nodes(data: Batch) -> Optional[list[int]]:
    """Node counts PyG stores per graph when the graphs declare ``num_nodes`` without node tensors."""
    return getattr(data, "_num_nodes", None)


def set_collation(out: Batch, slice_dict: dict[str, Tensor], inc_dict: dict[str, Optional[Tensor]],
                  num_graphs: int, num_nodes: Optional[list[int]] = None) -> None:
    """Store new collation metadata on ``out`` (a shallow copy of a collated batch) so that
    :meth:`Batch.to_data_list` separates its current tensors."""
    out._slice_dict = slice_dict
    out._inc_dict = inc_dict
    out._num_graphs = int(num_graphs)
    if num_nodes is not None:
        out._num_nodes = list(num_nodes)
