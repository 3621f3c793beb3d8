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
from torch_geometric.data import Data

from graphcl.augment import _collation


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
        nodes_grouped (bool): whether ``node_graph`` is sorted (each graph's nodes contiguous).
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
    nodes_grouped: bool = True


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
    """Whether ``data`` is a collated :class:`~torch_geometric.data.Batch` (several graphs, ``ptr``)."""
    return _collation.is_collated(data) and "ptr" in data


def has_edges(data: Data) -> bool:
    return data.edge_index is not None


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
                       node_offsets, edge_counts, is_batch(data), num_graphs == 1 or is_sorted(node_graph))


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


def random_rank(group: Tensor, num_groups: int, generator: torch.Generator | None,
                keys: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """A uniformly random order of the elements inside each group.

    Args:
        group (Tensor): group id of each element, shape ``[M]``.
        num_groups (int): number of groups ``B``.
        keys (Tensor, optional): sort keys instead of uniform random ones, shape ``[M]``.

    Returns:
        ``(rank, counts)``: ``rank[i]`` is element ``i``'s position (0-based) in a random permutation of its
        group, shape ``[M]``; ``counts`` is the group sizes, shape ``[B]``.
    """
    m = group.numel()
    counts = torch.bincount(group, minlength=num_groups)
    if m == 0:
        return group.new_zeros(0), counts
    order = torch.argsort(rand(m, generator, group.device) if keys is None else keys)
    order = order[torch.argsort(group[order], stable=True)]
    starts = torch.cumsum(counts, 0) - counts
    rank = torch.empty_like(group)
    rank[order] = torch.arange(m, device=group.device) - starts[group[order]]
    return rank, counts


def is_sorted(values: Tensor) -> bool:
    return values.numel() < 2 or bool((values[1:] >= values[:-1]).all())


def choose_per_group(group: Tensor, num_groups: int, k: Tensor, generator: torch.Generator | None,
                     counts: Tensor | None = None, grouped: bool | None = None,
                     keys: Tensor | None = None) -> Tensor:
    """Pick exactly ``min(k[g], count[g])`` elements of every group ``g`` uniformly at random.

    When the elements are grouped contiguously (as nodes and edges of a batch are), the groups are laid
    out in a padded ``[B, max_count]`` table of random keys and the ``k`` smallest keys per row are taken
    with one ``topk``; otherwise every element is ranked inside its group.

    Args:
        group (Tensor): group id of each element, shape ``[M]``.
        num_groups (int): number of groups ``B``.
        k (Tensor): elements to pick per group, shape ``[B]``.
        counts (Tensor, optional): group sizes, shape ``[B]``, when already known.
        grouped (bool, optional): whether ``group`` is known to be sorted (``None``: check).
        keys (Tensor, optional): pick the ``k`` smallest of these keys instead of a uniform draw.

    Returns:
        A boolean mask of the picked elements, shape ``[M]``.
    """
    m = group.numel()
    device = group.device
    if counts is None:
        counts = torch.bincount(group, minlength=num_groups)
    chosen = torch.zeros(m, dtype=torch.bool, device=device)
    if m == 0:
        return chosen
    k = torch.minimum(k, counts)
    kmax = int(k.max())
    if kmax == 0:
        return chosen
    width = int(counts.max())
    if grouped is None:
        grouped = is_sorted(group)
    if grouped and num_groups * width <= 4 * m + 4096:
        starts = torch.cumsum(counts, 0) - counts
        local = torch.arange(m, device=device) - starts[group]
        table = torch.full((num_groups, width), math.inf, device=device,
                           dtype=torch.float32 if keys is None else keys.dtype)
        # flat indices: one index tensor instead of two
        table.view(-1)[group * width + local] = rand(m, generator, device) if keys is None else keys
        picked = table.topk(kmax, dim=1, largest=False).indices
        take = torch.arange(kmax, device=device).unsqueeze(0) < k.unsqueeze(1)
        chosen[(starts.unsqueeze(1) + picked)[take]] = True
        return chosen
    rank, _ = random_rank(group, num_groups, generator, keys)
    return rank < k[group]


def grouped_positions(first_group: Tensor, second_group: Tensor, num_groups: int) -> tuple[Tensor, Tensor]:
    """Output positions that interleave two group-sorted sequences group by group (first before second).

    Returns:
        ``(first_positions, second_positions)``, shapes ``[M1]`` and ``[M2]``.
    """
    c1 = torch.bincount(first_group, minlength=num_groups)
    c2 = torch.bincount(second_group, minlength=num_groups)
    out_start = torch.cumsum(c1 + c2, 0) - (c1 + c2)
    s1 = torch.cumsum(c1, 0) - c1
    s2 = torch.cumsum(c2, 0) - c2
    p1 = out_start[first_group] + torch.arange(first_group.numel(), device=first_group.device) - s1[first_group]
    p2 = (out_start + c1)[second_group] + torch.arange(second_group.numel(), device=second_group.device) \
        - s2[second_group]
    return p1, p2


def share(counts: Tensor, p: float) -> Tensor:
    """``round(p * count)`` per graph (round half to even, as :func:`torch.round`)."""
    return torch.round(counts.to(torch.float64) * p).long()


def field_levels(data: Data, info: GraphLayout | None = None) -> tuple[list[str], list[str]]:
    """Split the tensor fields into node-level and edge-level ones (``edge_index`` and ``ptr`` excluded).

    On a batch the collation slices decide: a field sliced like the nodes is node-level, one sliced like the
    edges is edge-level, one sliced one row per graph is graph-level. Ties (e.g. every graph having as many
    nodes as edges) follow PyG's convention: edge-level only when the name contains ``"edge"``. On a single
    graph, a field with ``N`` rows is node-level, one with ``E`` rows is edge-level if its name contains
    ``"edge"`` or ``E`` differs from ``N`` and from 1 (a one-row field is read as graph-level).

    ``info`` (the :func:`layout` of ``data``, optional) spares recounting nodes and edges.

    Returns:
        ``(node_keys, edge_keys)``; ``batch`` is a node-level key.
    """
    if info is None:
        num_nodes = data.num_nodes
        num_edges = data.edge_index.size(1) if has_edges(data) else -1
        batched = is_batch(data)
    else:
        num_nodes, batched = info.num_nodes, info.is_batch
        num_edges = info.num_edges if has_edges(data) else -1
    if batched:
        slices = _collation.slices(data)
        ptr = data.ptr.cpu()
        graph_slices = torch.arange(ptr.numel())
        edge_slices = slices["edge_index"].cpu() if "edge_index" in slices else None
    nodes, edges = [], []
    for key, value in data.items():
        if key in ("edge_index", "ptr") or not isinstance(value, Tensor) or value.dim() == 0:
            continue
        if key == "batch":
            nodes.append(key)
            continue
        if data.__cat_dim__(key, value) != 0:
            continue
        rows = value.size(0)
        named_edge = "edge" in key
        if batched:
            if key not in slices:
                continue
            s = slices[key].cpu()
            like_nodes = rows == num_nodes and torch.equal(s, ptr)
            like_edges = rows == num_edges and edge_slices is not None and torch.equal(s, edge_slices)
            like_graphs = torch.equal(s, graph_slices)
            if like_edges and (named_edge or not (like_nodes or like_graphs)):
                edges.append(key)
            elif like_nodes:
                nodes.append(key)
        else:
            if rows == num_edges and named_edge:
                edges.append(key)
            elif rows == num_nodes:
                nodes.append(key)
            elif rows == num_edges and num_edges != 1:
                edges.append(key)
    return nodes, edges


def node_keys(data: Data) -> list[str]:
    """Tensor fields aligned with the nodes (``x``, ``pos``, node labels, ``batch``)."""
    return field_levels(data)[0]


def edge_keys(data: Data) -> list[str]:
    """Tensor fields aligned with the edges (``edge_attr``, edge weights), ``edge_index`` excluded."""
    return field_levels(data)[1]


def _node_index_keys(data: Data) -> list[str]:
    return [key for key, value in data.items() if isinstance(value, Tensor) and key != "edge_index"
            and ("index" in key or key == "face")]


def new_like(data: Data) -> Data:
    """A shallow copy whose store can be changed without touching ``data``."""
    return copy.copy(data)


def select_nodes(data: Data, info: GraphLayout, keep: Tensor) -> Data:
    """Keep the nodes where ``keep`` is true (shape ``[N]``), their induced edges, and every aligned field."""
    others = _node_index_keys(data)
    if others and not bool(keep.all()):
        raise ValueError(f"cannot remove nodes from a graph holding other node-index fields {others}")
    out = new_like(data)
    nkeys, ekeys = field_levels(data, info)
    new_index = torch.cumsum(keep.long(), 0) - 1
    kept = keep.nonzero().flatten()
    for key in nkeys:
        out[key] = data[key].index_select(0, kept)
    node_counts = torch.bincount(info.node_graph.index_select(0, kept), minlength=info.num_graphs)
    edge_counts = None
    if has_edges(data):
        edge_index = data.edge_index
        kept_edges = (keep[edge_index[0]] & keep[edge_index[1]]).nonzero().flatten()
        out.edge_index = new_index[edge_index.index_select(1, kept_edges)]
        for key in ekeys:
            out[key] = data[key].index_select(0, kept_edges)
        edge_counts = torch.bincount(info.edge_graph.index_select(0, kept_edges), minlength=info.num_graphs)
    _finish(out, data, info, node_counts, edge_counts, kept.numel(), nkeys, ekeys)
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


def set_edges(data: Data, info: GraphLayout, edge_keep: Tensor, new_edges: Tensor, new_graph: Tensor,
              fields: dict[str, tuple[Tensor, Tensor]]) -> Data:
    """Keep the edges in ``edge_keep`` and append ``new_edges`` (grouped by graph, shape ``[2, A]``).

    Every graph's kept edges come first, then its new ones, so each graph's edges stay contiguous.
    ``fields`` maps each edge-level key to ``(kept_values, new_values)``.
    """
    kept_graph = info.edge_graph[edge_keep]
    kept_edges = data.edge_index[:, edge_keep]
    total = kept_graph.numel() + new_graph.numel()
    if is_sorted(info.edge_graph) and is_sorted(new_graph):
        first, second = grouped_positions(kept_graph, new_graph, info.num_graphs)
    else:
        order = torch.argsort(torch.cat([kept_graph, new_graph]), stable=True)
        position = torch.empty_like(order)
        position[order] = torch.arange(total, device=order.device)
        first, second = position[:kept_graph.numel()], position[kept_graph.numel():]
    out = new_like(data)
    edge_index = kept_edges.new_empty((2, total))
    edge_index[:, first] = kept_edges
    edge_index[:, second] = new_edges
    out.edge_index = edge_index
    for key, (kept, new) in fields.items():
        value = kept.new_empty((total, *kept.shape[1:]))
        value[first] = kept
        value[second] = new
        out[key] = value
    edge_counts = torch.bincount(kept_graph, minlength=info.num_graphs) + \
        torch.bincount(new_graph, minlength=info.num_graphs)
    _finish(out, data, info, None, edge_counts, info.num_nodes, [], list(fields))
    return out


def _finish(out: Data, data: Data, info: GraphLayout, node_counts: Tensor | None, edge_counts: Tensor | None,
            num_nodes: int, nkeys: list[str], ekeys: list[str]) -> None:
    """Update node counts and, for a batch, ``ptr`` and the collation slices used by ``to_data_list``."""
    if node_counts is not None and "num_nodes" in data:
        out.num_nodes = num_nodes
    if not info.is_batch:
        return
    slice_dict = _collation.slices(data)
    inc_dict = _collation.increments(data)
    stored = _collation.stored_num_nodes(data)
    if node_counts is not None:
        ptr = torch.zeros(info.num_graphs + 1, dtype=torch.long, device=node_counts.device)
        torch.cumsum(node_counts, 0, out=ptr[1:])
        out.ptr = ptr
        cpu_ptr = ptr.to(slice_dict.get("edge_index", ptr).device)
        for key in nkeys:
            if key in slice_dict:
                slice_dict[key] = cpu_ptr
        if "edge_index" in inc_dict:
            inc_dict["edge_index"] = cpu_ptr[:-1]
        if stored is not None:
            stored = node_counts.tolist()
    if edge_counts is not None and "edge_index" in slice_dict:
        device = slice_dict["edge_index"].device
        edge_slices = torch.zeros(info.num_graphs + 1, dtype=torch.long, device=device)
        torch.cumsum(edge_counts.to(device), 0, out=edge_slices[1:])
        slice_dict["edge_index"] = edge_slices
        for key in ekeys:
            if key in slice_dict:
                slice_dict[key] = edge_slices
    _collation.set_collation(out, slice_dict, inc_dict, info.num_graphs, stored)


def undirected_pairs(edge_index: Tensor, num_nodes: int) -> tuple[Tensor, Tensor, bool]:
    """Group edges into unordered pairs when every edge ``(u, v)`` has its reverse ``(v, u)``.

    Each pair is represented by its edge with ``u <= v`` (a self-loop is its own pair); representatives
    keep the edge order, so they stay grouped by graph.

    Returns:
        ``(unit_of_edge, unit_edge, undirected)``: the pair id of every edge (shape ``[E]``), the
        representative edge of every pair (shape ``[P]``), and whether the graph is undirected. When it is
        not, every edge is its own unit.
    """
    row, col = edge_index
    num_edges = row.numel()
    device = row.device
    identity = torch.arange(num_edges, device=device)
    forward = row < col
    backward = row > col
    forward_index = forward.nonzero().flatten()
    backward_index = backward.nonzero().flatten()
    if forward_index.numel() != backward_index.numel():
        return identity, identity, False
    forward_key, forward_order = torch.sort(row[forward_index] * num_nodes + col[forward_index])
    backward_key, backward_order = torch.sort(col[backward_index] * num_nodes + row[backward_index])
    if not torch.equal(forward_key, backward_key):
        return identity, identity, False
    is_unit = ~backward
    unit_edge = is_unit.nonzero().flatten()
    unit_position = torch.cumsum(is_unit.long(), 0) - 1
    unit_of_edge = torch.empty(num_edges, dtype=torch.long, device=device)
    unit_of_edge[unit_edge] = torch.arange(unit_edge.numel(), device=device)
    unit_of_edge[backward_index[backward_order]] = unit_position[forward_index[forward_order]]
    return unit_of_edge, unit_edge, True


def check_finite_features(data: Data, keys: tuple[str, ...]) -> None:
    for key in keys:
        if key not in data or not isinstance(data[key], Tensor):
            raise ValueError(f"the graph has no tensor field {key!r} to augment")
        value = data[key]
        if value.is_floating_point() and bool(torch.isnan(value).any()):
            raise ValueError(f"field {key!r} contains NaN values")


def check_graph_mask(graph_mask: Tensor | None, info: GraphLayout) -> Tensor | None:
    """Validate the boolean mask of the graphs an augmentation may touch (shape ``[B]``; ``None``: all)."""
    if graph_mask is None:
        return None
    if not isinstance(graph_mask, Tensor) or graph_mask.dtype != torch.bool:
        raise TypeError(f"graph_mask must be a boolean tensor, got {type(graph_mask).__name__}"
                        + (f" of dtype {graph_mask.dtype}" if isinstance(graph_mask, Tensor) else ""))
    if tuple(graph_mask.shape) != (info.num_graphs,):
        raise ValueError(f"graph_mask must have shape [{info.num_graphs}] (one entry per graph), "
                         f"got {tuple(graph_mask.shape)}")
    return graph_mask.to(info.node_graph.device)


def only_in(graph_mask: Tensor | None, per_graph: Tensor) -> Tensor:
    """``per_graph`` (shape ``[B]``) where ``graph_mask`` holds, zero elsewhere."""
    if graph_mask is None:
        return per_graph
    return torch.where(graph_mask, per_graph, torch.zeros_like(per_graph))


def graph_keys(data: Data) -> list[str]:
    """Fields of a collated batch holding one entry per graph (``y``, ``smiles``...), tensors or lists."""
    if not is_batch(data):
        return []
    nkeys, ekeys = field_levels(data)
    graph_slices = torch.arange(data.ptr.numel())
    skip = set(nkeys) | set(ekeys) | {"edge_index"}
    return [key for key, s in _collation.slices(data).items()
            if key not in skip and key in data and torch.equal(s.cpu(), graph_slices)]


def _pick(values, index: Tensor):
    """Entries ``index`` of a per-graph list (non-tensor fields such as SMILES strings)."""
    return [values[i] for i in index.tolist()]


def _check_splittable(data: Data, nkeys: list[str], ekeys: list[str], gkeys: list[str]) -> None:
    others = _node_index_keys(data)
    if others:
        raise ValueError(f"cannot split a batch holding other node-index fields {others} per graph")
    known = set(nkeys) | set(ekeys) | set(gkeys) | {"edge_index"}
    unknown = [key for key in _collation.slices(data) if key not in known]
    if unknown:
        raise ValueError(f"cannot split fields {unknown} per graph: they are neither node-, edge- nor "
                         "graph-level")


def select_graphs(data: Data, info: GraphLayout, graph_mask: Tensor) -> Data:
    """The collated sub-batch of the graphs where ``graph_mask`` (shape ``[B]``) holds, in their order.

    Node-, edge- and graph-level fields are subset and ``edge_index`` renumbered with tensor operations;
    the result separates with :meth:`~torch_geometric.data.Batch.to_data_list` like ``data``.
    """
    if not info.is_batch:
        raise ValueError("select_graphs needs a Batch built by Batch.from_data_list")
    nkeys, ekeys = field_levels(data)
    gkeys = graph_keys(data)
    _check_splittable(data, nkeys, ekeys, gkeys)
    selected = graph_mask.nonzero().flatten()
    num_selected = selected.numel()
    new_graph = torch.cumsum(graph_mask.long(), 0) - 1
    node_keep = graph_mask[info.node_graph]
    kept = node_keep.nonzero().flatten()
    out = new_like(data)
    for key in nkeys:
        out[key] = data[key].index_select(0, kept)
    if "batch" in nkeys:
        out.batch = new_graph[out.batch]
    if has_edges(data):
        new_index = torch.cumsum(node_keep.long(), 0) - 1
        kept_edges = graph_mask[info.edge_graph].nonzero().flatten()
        out.edge_index = new_index[data.edge_index.index_select(1, kept_edges)]
        for key in ekeys:
            out[key] = data[key].index_select(0, kept_edges)
    for key in gkeys:
        value = data[key]
        out[key] = value.index_select(0, selected.to(value.device)) if isinstance(value, Tensor) \
            else _pick(value, selected)
    node_counts = info.node_counts[selected]
    ptr = torch.zeros(num_selected + 1, dtype=torch.long, device=node_counts.device)
    torch.cumsum(node_counts, 0, out=ptr[1:])
    out.ptr = ptr
    slice_dict = _collation.slices(data)
    inc_dict = _collation.increments(data)
    cpu_ptr = ptr.cpu()
    edge_slices = torch.zeros(num_selected + 1, dtype=torch.long)
    torch.cumsum(info.edge_counts[selected].cpu(), 0, out=edge_slices[1:])
    cpu_selected = selected.cpu()
    for key in slice_dict:
        if key in gkeys:
            slice_dict[key] = torch.arange(num_selected + 1)
        elif key in ekeys or key == "edge_index":
            slice_dict[key] = edge_slices
        else:
            slice_dict[key] = cpu_ptr
        inc = inc_dict.get(key)
        if isinstance(inc, Tensor):
            inc_dict[key] = cpu_ptr[:-1] if key == "edge_index" else inc.index_select(0, cpu_selected.to(inc.device))
    stored = _collation.stored_num_nodes(data)
    if "num_nodes" in data:
        out.num_nodes = int(kept.numel())
    _collation.set_collation(out, slice_dict, inc_dict, num_selected,
                             None if stored is None else node_counts.tolist())
    return out


def _merge_positions(first: Tensor, second: Tensor, num_groups: int) -> tuple[Tensor, Tensor]:
    """Output positions of two group-labelled sequences merged in group order (stable)."""
    if is_sorted(first) and is_sorted(second):
        return grouped_positions(first, second, num_groups)
    order = torch.argsort(torch.cat([first, second]), stable=True)
    position = torch.empty_like(order)
    position[order] = torch.arange(order.numel(), device=order.device)
    return position[:first.numel()], position[first.numel():]


def replace_graphs(data: Data, info: GraphLayout, graph_mask: Tensor, part: Data) -> Data:
    """``data`` with the graphs where ``graph_mask`` holds replaced, in order, by the graphs of ``part``.

    ``part`` is a collated batch (or a single graph when one graph is replaced) carrying the node- and
    edge-level fields of ``data``; its graph-level fields replace those of the graphs it stands for, and
    graph-level fields it lacks keep their old values. Everything is merged with index arithmetic, so the
    graphs stay in their order and the result separates with
    :meth:`~torch_geometric.data.Batch.to_data_list`.

    Raises:
        ValueError: when ``part`` holds another number of graphs, or lacks or reshapes a node/edge field.
    """
    if not info.is_batch:
        raise ValueError("replace_graphs needs a Batch built by Batch.from_data_list")
    check_data(part)
    selected = graph_mask.nonzero().flatten()
    part_info = layout(part, allow_empty=True)
    if part_info.num_graphs != selected.numel():
        raise ValueError(f"the augmentation returned {part_info.num_graphs} graphs for {selected.numel()} "
                         "(it must return one graph per input graph, in order)")
    nkeys, ekeys = field_levels(data)
    gkeys = graph_keys(data)
    _check_splittable(data, nkeys, ekeys, gkeys)
    for key in [k for k in nkeys if k != "batch"] + ekeys:
        value = part[key] if key in part else None
        if not isinstance(value, Tensor) or value.shape[1:] != data[key].shape[1:] \
                or value.size(0) != (part_info.num_nodes if key in nkeys else part_info.num_edges):
            raise ValueError(f"the augmentation must return field {key!r} with rows of shape "
                             f"{tuple(data[key].shape[1:])}, one per {'node' if key in nkeys else 'edge'}")
    device = info.node_graph.device
    kept = (~graph_mask[info.node_graph]).nonzero().flatten()
    first_graph = info.node_graph[kept]
    second_graph = selected[part_info.node_graph]
    first, second = _merge_positions(first_graph, second_graph, info.num_graphs)
    total = kept.numel() + part_info.num_nodes
    out = new_like(data)
    for key in nkeys:
        if key == "batch":
            continue
        value, new = data[key], part[key]
        merged = value.new_empty((total, *value.shape[1:]))
        merged[first] = value.index_select(0, kept)
        merged[second] = new.to(value.dtype)
        out[key] = merged
    if "batch" in data:
        batch = torch.empty(total, dtype=torch.long, device=device)
        batch[first] = first_graph
        batch[second] = second_graph
        out.batch = batch
    node_counts = info.node_counts.clone()
    node_counts[selected] = part_info.node_counts
    edge_counts = None
    if has_edges(data):
        old_to_new = torch.full((info.num_nodes,), -1, dtype=torch.long, device=device)
        old_to_new[kept] = first
        kept_edges = (~graph_mask[info.edge_graph]).nonzero().flatten()
        first_edges = info.edge_graph[kept_edges]
        part_edges = part.edge_index if has_edges(part) else torch.zeros(2, 0, dtype=torch.long, device=device)
        second_edges = selected[part_info.edge_graph]
        efirst, esecond = _merge_positions(first_edges, second_edges, info.num_graphs)
        edge_index = torch.empty((2, efirst.numel() + esecond.numel()), dtype=torch.long, device=device)
        edge_index[:, efirst] = old_to_new[data.edge_index.index_select(1, kept_edges)]
        edge_index[:, esecond] = second[part_edges]
        out.edge_index = edge_index
        for key in ekeys:
            value = data[key]
            merged = value.new_empty((edge_index.size(1), *value.shape[1:]))
            merged[efirst] = value.index_select(0, kept_edges)
            merged[esecond] = part[key].to(value.dtype)
            out[key] = merged
        edge_counts = info.edge_counts.clone()
        edge_counts[selected] = part_info.edge_counts
    for key in gkeys:
        if key not in part:
            continue
        value, new = data[key], part[key]
        if isinstance(value, Tensor):
            if not isinstance(new, Tensor) or new.shape[1:] != value.shape[1:] or new.size(0) != selected.numel():
                raise ValueError(f"the augmentation returned graph-level field {key!r} in another shape")
            merged = value.clone()
            merged[selected.to(value.device)] = new.to(value.dtype)
        else:
            new = [new] if isinstance(new, str) or not isinstance(new, (list, tuple)) else list(new)
            merged = list(value)
            for position, item in zip(selected.tolist(), new):
                merged[position] = item
        out[key] = merged
    _finish(out, data, info, node_counts, edge_counts, total, [k for k in nkeys if k != "batch"], ekeys)
    return out
