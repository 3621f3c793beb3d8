"""Per-graph bookkeeping shared by the augmentations.

Every augmentation works on a single :class:`~torch_geometric.data.Data` (one graph) or on a
:class:`~torch_geometric.data.Batch` (many graphs, nodes grouped by ``batch``/``ptr``). The helpers here
turn both into the same picture — a graph id per node and per edge — draw per-graph random ranks with
tensor operations, and rebuild a new object whose ``batch``, ``ptr`` and collation metadata stay
consistent so that :meth:`Batch.to_data_list` still works.
"""
from __future__ import annotations

import copy
import math
import numbers
from dataclasses import dataclass

import torch
from torch import Tensor
from torch_geometric.data import Batch, Data


@dataclass
class GraphLayout:
    """Where the nodes and edges of each graph live.

    Attributes:
        num_nodes (int): total number of nodes :math:`N`.
        num_edges (int): total number of (directed) edges :math:`E`.
        num_graphs (int): number of graphs :math:`B`.
        node_graph (Tensor): graph id of every node, shape ``[N]``.
        edge_graph (Tensor): graph id of every edge, shape ``[E]``.
        node_counts (Tensor): nodes per graph, shape ``[B]``.
        node_offsets (Tensor): index of each graph's first node, shape ``[B]``.
        edge_counts (Tensor): edges per graph, shape ``[B]``.
        is_batch (bool): whether the input carries collation metadata.
    """

    num_nodes: int
    num_edges: int
    num_graphs: int
    node_graph: Tensor
    edge_graph: Tensor
    node_counts: Tensor
    node_offsets: Tensor
    edge_counts: Tensor
    is_batch: bool


def check_ratio(p: float, name: str = "p") -> float:
    """Validate a strength ratio in ``[0, 1]``."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"{name} must be a number in [0, 1], got {type(p).__name__}")
    p = float(p)
    if not math.isfinite(p) or p < 0.0 or p > 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got {p}")
    return p


def check_data(data) -> None:
    if not isinstance(data, Data):
        raise TypeError(f"expected a torch_geometric Data or Batch, got {type(data).__name__}")


def is_batch(data: Data) -> bool:
    return isinstance(data, Batch) and hasattr(data, "_slice_dict") and "ptr" in data


def has_edges(data: Data) -> bool:
    return "edge_index" in data and data.edge_index is not None


def layout(data: Data, allow_empty: bool = False) -> GraphLayout:
    """Describe ``data`` as ``B`` graphs (``B = 1`` for a plain :class:`Data`).

    Raises:
        ValueError: when a graph has no nodes (unless ``allow_empty``), or ``edge_index`` is malformed.
    """
    check_data(data)
    num_nodes = data.num_nodes
    if num_nodes is None:
        raise ValueError("the graph does not declare its number of nodes (no node features, no num_nodes)")
    device = _device(data)
    if is_batch(data):
        ptr = data.ptr.to(device)
        node_counts = ptr[1:] - ptr[:-1]
        node_offsets = ptr[:-1]
        num_graphs = node_counts.numel()
        node_graph = data.batch.to(device) if "batch" in data else torch.repeat_interleave(
            torch.arange(num_graphs, device=device), node_counts)
    else:
        num_graphs = 1
        node_counts = torch.tensor([num_nodes], device=device)
        node_offsets = torch.zeros(1, dtype=torch.long, device=device)
        node_graph = torch.zeros(num_nodes, dtype=torch.long, device=device)
    if not allow_empty and bool((node_counts == 0).any()):
        empty = (node_counts == 0).nonzero().flatten()[:5].tolist()
        raise ValueError(f"cannot augment a graph without nodes (empty graph index {empty})")
    if has_edges(data):
        edge_index = data.edge_index
        if edge_index.dim() != 2 or edge_index.size(0) != 2:
            raise ValueError(f"edge_index must have shape [2, E], got {tuple(edge_index.shape)}")
        if edge_index.numel() and (int(edge_index.min()) < 0 or int(edge_index.max()) >= num_nodes):
            raise ValueError("edge_index refers to nodes outside [0, num_nodes)")
        edge_graph = node_graph[edge_index[0]]
    else:
        edge_graph = torch.zeros(0, dtype=torch.long, device=device)
    edge_counts = torch.bincount(edge_graph, minlength=num_graphs)
    return GraphLayout(num_nodes, edge_graph.numel(), num_graphs, node_graph, edge_graph, node_counts,
                       node_offsets, edge_counts, is_batch(data))


def _device(data: Data) -> torch.device:
    for _, value in data.items():
        if isinstance(value, Tensor):
            return value.device
    return torch.device("cpu")


def rand(n: int, generator: torch.Generator | None, device: torch.device) -> Tensor:
    """``n`` uniform numbers in [0, 1) drawn from ``generator`` (on its device), moved to ``device``."""
    if generator is None:
        return torch.rand(n, device=device)
    return torch.rand(n, generator=generator, device=generator.device).to(device)


def randn(shape: tuple[int, ...], generator: torch.Generator | None, device: torch.device) -> Tensor:
    if generator is None:
        return torch.randn(shape, device=device)
    return torch.randn(shape, generator=generator, device=generator.device).to(device)


def random_rank(group: Tensor, num_groups: int, generator: torch.Generator | None) -> tuple[Tensor, Tensor]:
    """A uniformly random order of the elements inside each group.

    Args:
        group (Tensor): group id of each element, shape ``[M]``.
        num_groups (int): number of groups ``B``.

    Returns:
        ``(rank, counts)``: ``rank[i]`` is element ``i``'s position (0-based) in a random permutation of its
        group, shape ``[M]``; ``counts`` is the group sizes, shape ``[B]``.
    """
    m = group.numel()
    counts = torch.bincount(group, minlength=num_groups)
    if m == 0:
        return group.new_zeros(0), counts
    order = torch.argsort(rand(m, generator, group.device))
    order = order[torch.argsort(group[order], stable=True)]
    starts = torch.cumsum(counts, 0) - counts
    rank = torch.empty_like(group)
    rank[order] = torch.arange(m, device=group.device) - starts[group[order]]
    return rank, counts


def share(counts: Tensor, p: float) -> Tensor:
    """``round(p * count)`` per graph (round half to even, as :func:`torch.round`)."""
    return torch.round(counts.to(torch.float64) * p).long()


def node_keys(data: Data) -> list[str]:
    """Tensor attributes aligned with the nodes (first dimension is ``num_nodes``), ``batch`` included."""
    num_nodes = data.num_nodes
    keys = []
    slices = data._slice_dict if is_batch(data) else None
    for key, value in data.items():
        if key in ("edge_index", "ptr", "num_nodes") or not isinstance(value, Tensor):
            continue
        if key == "batch":
            keys.append(key)
            continue
        if value.dim() == 0 or value.size(0) != num_nodes:
            continue
        if data.__cat_dim__(key, value) != 0:
            continue
        if slices is not None:
            if key not in slices or not torch.equal(slices[key].to(data.ptr.device), data.ptr):
                continue
        elif not data.is_node_attr(key):
            continue
        keys.append(key)
    return keys


def edge_keys(data: Data) -> list[str]:
    """Tensor attributes aligned with the edges (``edge_attr``, edge weights), ``edge_index`` excluded."""
    if not has_edges(data):
        return []
    num_edges = data.edge_index.size(1)
    num_nodes = data.num_nodes
    slices = data._slice_dict if is_batch(data) else None
    keys = []
    for key, value in data.items():
        if key in ("edge_index", "batch", "ptr") or not isinstance(value, Tensor) or value.dim() == 0:
            continue
        if data.__cat_dim__(key, value) != 0 or value.size(0) != num_edges:
            continue
        if slices is not None:
            if key not in slices or not torch.equal(slices[key], slices["edge_index"]):
                continue
        elif num_edges == num_nodes and "edge" not in key:
            continue  # ambiguous; PyG treats it as node-level unless the name says otherwise
        keys.append(key)
    return keys


def _node_index_keys(data: Data) -> list[str]:
    return [key for key, value in data.items() if isinstance(value, Tensor) and key != "edge_index"
            and ("index" in key or key == "face")]


def new_like(data: Data) -> Data:
    """A shallow copy whose store can be changed without touching ``data``."""
    out = copy.copy(data)
    out._store.__dict__.pop("_cached_attr", None)
    return out


def select_nodes(data: Data, info: GraphLayout, keep: Tensor) -> Data:
    """Keep the nodes where ``keep`` is true (shape ``[N]``), their induced edges, and every aligned field."""
    others = _node_index_keys(data)
    if others and not bool(keep.all()):
        raise ValueError(f"cannot remove nodes from a graph holding other node-index fields {others}")
    out = new_like(data)
    nkeys = node_keys(data)
    ekeys = edge_keys(data)
    new_index = torch.cumsum(keep.long(), 0) - 1
    for key in nkeys:
        out[key] = data[key][keep]
    node_counts = torch.bincount(info.node_graph[keep], minlength=info.num_graphs)
    edge_counts = None
    if has_edges(data):
        edge_index = data.edge_index
        edge_keep = keep[edge_index[0]] & keep[edge_index[1]]
        out.edge_index = new_index[edge_index[:, edge_keep]]
        for key in ekeys:
            out[key] = data[key][edge_keep]
        edge_counts = torch.bincount(info.edge_graph[edge_keep], minlength=info.num_graphs)
    _finish(out, data, info, node_counts, edge_counts, int(keep.sum()), nkeys, ekeys)
    return out


def select_edges(data: Data, info: GraphLayout, edge_keep: Tensor) -> Data:
    """Keep the edges where ``edge_keep`` is true (shape ``[E]``) and their aligned fields; nodes untouched."""
    out = new_like(data)
    ekeys = edge_keys(data)
    out.edge_index = data.edge_index[:, edge_keep]
    for key in ekeys:
        out[key] = data[key][edge_keep]
    edge_counts = torch.bincount(info.edge_graph[edge_keep], minlength=info.num_graphs)
    _finish(out, data, info, None, edge_counts, info.num_nodes, [], ekeys)
    return out


def set_edges(data: Data, info: GraphLayout, edge_index: Tensor, edge_graph: Tensor,
              fields: dict[str, Tensor]) -> Data:
    """Replace the edges; they are stably regrouped by graph so each graph's edges stay contiguous."""
    order = torch.argsort(edge_graph, stable=True)
    out = new_like(data)
    out.edge_index = edge_index[:, order]
    for key, value in fields.items():
        out[key] = value[order]
    edge_counts = torch.bincount(edge_graph, minlength=info.num_graphs)
    _finish(out, data, info, None, edge_counts, info.num_nodes, [], list(fields))
    return out


def _finish(out: Data, data: Data, info: GraphLayout, node_counts: Tensor | None, edge_counts: Tensor | None,
            num_nodes: int, nkeys: list[str], ekeys: list[str]) -> None:
    """Update node counts and, for a batch, ``ptr`` and the collation slices used by ``to_data_list``."""
    if node_counts is not None and "num_nodes" in data._store:
        out.num_nodes = num_nodes
    if not info.is_batch:
        return
    slice_dict = dict(data._slice_dict)
    inc_dict = dict(data._inc_dict)
    if node_counts is not None:
        ptr = torch.zeros(info.num_graphs + 1, dtype=torch.long, device=node_counts.device)
        torch.cumsum(node_counts, 0, out=ptr[1:])
        out.ptr = ptr
        cpu_ptr = ptr.to(data._slice_dict.get("edge_index", ptr).device)
        for key in nkeys:
            if key in slice_dict:
                slice_dict[key] = cpu_ptr
        if "edge_index" in inc_dict:
            inc_dict["edge_index"] = cpu_ptr[:-1]
        if "_num_nodes" in data._store.__dict__:
            out._store._num_nodes = node_counts.tolist()
    if edge_counts is not None and "edge_index" in slice_dict:
        device = slice_dict["edge_index"].device
        edge_slices = torch.zeros(info.num_graphs + 1, dtype=torch.long, device=device)
        torch.cumsum(edge_counts.to(device), 0, out=edge_slices[1:])
        slice_dict["edge_index"] = edge_slices
        for key in ekeys:
            if key in slice_dict:
                slice_dict[key] = edge_slices
    out._slice_dict = slice_dict
    out._inc_dict = inc_dict


def undirected_pairs(edge_index: Tensor, num_nodes: int) -> tuple[Tensor, Tensor, bool]:
    """Group edges into unordered pairs ``{u, v}``.

    Returns:
        ``(pair_of_edge, pair_first_edge, undirected)``: pair id of every edge (shape ``[E]``), one
        representative edge per pair (shape ``[P]``), and whether every edge has its reverse.
    """
    row, col = edge_index
    low, high = torch.minimum(row, col), torch.maximum(row, col)
    key = low * num_nodes + high
    unique, pair_of_edge = torch.unique(key, return_inverse=True)
    num_pairs = unique.numel()
    first = torch.full((num_pairs,), edge_index.size(1), dtype=torch.long, device=edge_index.device)
    first = first.scatter_reduce(0, pair_of_edge, torch.arange(edge_index.size(1), device=edge_index.device),
                                 reduce="amin")
    directed_key = row * num_nodes + col
    reverse_key = col * num_nodes + row
    sorted_keys = torch.sort(directed_key).values
    pos = torch.searchsorted(sorted_keys, reverse_key).clamp(max=max(sorted_keys.numel() - 1, 0))
    undirected = bool((sorted_keys[pos] == reverse_key).all()) if sorted_keys.numel() else True
    return pair_of_edge, first, undirected


def check_finite_features(data: Data, keys: tuple[str, ...]) -> None:
    for key in keys:
        if key not in data or not isinstance(data[key], Tensor):
            raise ValueError(f"the graph has no tensor field {key!r} to augment")
        value = data[key]
        if value.is_floating_point() and bool(torch.isnan(value).any()):
            raise ValueError(f"field {key!r} contains NaN values")
