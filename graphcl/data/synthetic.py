"""Small seeded stochastic block model graphs with class-correlated features, for unit tests.

Holland, Laskey & Leinhardt, "Stochastic blockmodels: First steps", Social Networks 1983.
"""
from __future__ import annotations

import torch
from torch_geometric.data import Data, InMemoryDataset
from torch_geometric.utils import coalesce, to_undirected


def _check_probability(name: str, value: float) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got {value}.")
    return value


def _sbm_edges(blocks: torch.Tensor, p_in: float, p_out: float, generator: torch.Generator) -> torch.Tensor:
    """Undirected SBM edges (both directions, no self-loops) for nodes with block ids ``blocks``."""
    n = blocks.numel()
    row, col = torch.triu_indices(n, n, offset=1)
    same = blocks[row] == blocks[col]
    probability = torch.where(same, torch.tensor(p_in), torch.tensor(p_out))
    keep = torch.rand(row.numel(), generator=generator) < probability
    row, col = row[keep], col[keep]
    return torch.stack([torch.cat([row, col]), torch.cat([col, row])])


def _features(blocks: torch.Tensor, num_blocks: int, num_features: int, signal: float,
              generator: torch.Generator) -> torch.Tensor:
    # each block has its own mean direction; ``signal`` scales how far apart the classes are
    means = torch.randn(num_blocks, num_features, generator=generator) * signal
    return means[blocks] + torch.randn(blocks.numel(), num_features, generator=generator)


def sbm_graph(num_nodes: int = 120, num_classes: int = 3, num_features: int = 16, p_in: float = 0.15,
              p_out: float = 0.02, signal: float = 1.0, train_per_class: int = 10, num_val: int = 30,
              generator: torch.Generator | None = None, seed: int = 0) -> Data:
    """One node-classification graph: node ``i`` belongs to block ``y[i]``.

    Returns:
        Data: ``x`` float ``[N, F]``, ``edge_index`` ``[2, E]`` (undirected), ``y`` ``[N]``, and
        boolean ``train_mask`` (``train_per_class`` nodes per class), ``val_mask`` (``num_val``),
        ``test_mask`` (the rest).
    """
    if num_classes < 1 or num_nodes < num_classes:
        raise ValueError(f"Need num_nodes >= num_classes >= 1, got {num_nodes} and {num_classes}.")
    if train_per_class * num_classes + num_val > num_nodes:
        raise ValueError("train_per_class * num_classes + num_val exceeds num_nodes.")
    p_in, p_out = _check_probability("p_in", p_in), _check_probability("p_out", p_out)
    if generator is None:
        generator = torch.Generator().manual_seed(seed)
    y = torch.arange(num_nodes) % num_classes
    y = y[torch.randperm(num_nodes, generator=generator)]
    edge_index = _sbm_edges(y, p_in, p_out, generator)
    x = _features(y, num_classes, num_features, signal, generator)

    order = torch.randperm(num_nodes, generator=generator)
    train_mask = torch.zeros(num_nodes, dtype=torch.bool)
    for c in range(num_classes):
        train_mask[order[y[order] == c][:train_per_class]] = True
    rest = order[~train_mask[order]]
    val_mask = torch.zeros(num_nodes, dtype=torch.bool)
    val_mask[rest[:num_val]] = True
    test_mask = ~(train_mask | val_mask)
    return Data(x=x, edge_index=edge_index, y=y, train_mask=train_mask, val_mask=val_mask, test_mask=test_mask)


def sparse_sbm_graph(num_nodes: int = 100_000, num_classes: int = 5, num_features: int = 128,
                     avg_degree: float = 10.0, homophily: float = 0.8, signal: float = 1.0,
                     seed: int = 0) -> Data:
    """A large planted-partition graph drawn in :math:`O(E)` (no :math:`N^2` pair list, unlike
    :func:`sbm_graph`), for memory and speed measurements.

    About ``num_nodes * avg_degree / 2`` undirected edges are drawn: a uniform source node and, with
    probability ``homophily``, a uniform target of the same class, else a uniform target; self-loops and
    duplicates are removed. Features as in :func:`sbm_graph`; no split masks.

    Returns:
        Data: ``x`` float ``[N, F]``, ``edge_index`` ``[2, E]`` (undirected, coalesced), ``y`` ``[N]``.
    """
    if num_classes < 1 or num_nodes < num_classes:
        raise ValueError(f"Need num_nodes >= num_classes >= 1, got {num_nodes} and {num_classes}.")
    if not avg_degree > 0:
        raise ValueError(f"avg_degree must be > 0, got {avg_degree}.")
    homophily = _check_probability("homophily", homophily)
    generator = torch.Generator().manual_seed(seed)
    y = torch.randint(num_classes, (num_nodes,), generator=generator)
    num_pairs = int(num_nodes * avg_degree / 2)
    source = torch.randint(num_nodes, (num_pairs,), generator=generator)
    # nodes sorted by class: a uniform member of class c is order[start[c] + floor(u * count[c])]
    order = torch.argsort(y, stable=True)
    counts = torch.bincount(y, minlength=num_classes)
    starts = torch.cumsum(counts, 0) - counts
    cls = y[source]
    offset = (torch.rand(num_pairs, generator=generator) * counts[cls]).long().clamp_max(counts[cls] - 1)
    same_class = order[starts[cls] + offset]
    anywhere = torch.randint(num_nodes, (num_pairs,), generator=generator)
    target = torch.where(torch.rand(num_pairs, generator=generator) < homophily, same_class, anywhere)
    keep = source != target
    edge_index = to_undirected(torch.stack([source[keep], target[keep]]), num_nodes=num_nodes)
    edge_index = coalesce(edge_index, num_nodes=num_nodes)
    x = _features(y, num_classes, num_features, signal, generator)
    return Data(x=x, edge_index=edge_index, y=y, num_nodes=num_nodes)


class SyntheticGraphDataset(InMemoryDataset):
    """Graph classification: graph class ``c`` is an SBM with ``c + 2`` blocks and class-shifted features.

    Args:
        num_graphs (int): number of graphs (classes balanced by round robin).
        num_classes (int): number of graph classes.
        min_nodes, max_nodes (int): node count range per graph (inclusive).
        num_features (int): node feature size.
        p_in, p_out (float): SBM edge probabilities within and between blocks.
        signal (float): distance between the class feature means.
        generator (torch.Generator, optional): randomness; else a fresh one seeded with ``seed``.
    """

    def __init__(self, num_graphs: int = 60, num_classes: int = 2, min_nodes: int = 8, max_nodes: int = 20,
                 num_features: int = 8, p_in: float = 0.5, p_out: float = 0.05, signal: float = 1.0,
                 generator: torch.Generator | None = None, seed: int = 0, transform=None):
        super().__init__(None, transform=transform)
        if num_graphs < 1 or num_classes < 1:
            raise ValueError("num_graphs and num_classes must be positive.")
        if not 1 <= min_nodes <= max_nodes:
            raise ValueError(f"Need 1 <= min_nodes <= max_nodes, got {min_nodes} and {max_nodes}.")
        p_in, p_out = _check_probability("p_in", p_in), _check_probability("p_out", p_out)
        if generator is None:
            generator = torch.Generator().manual_seed(seed)
        class_means = torch.randn(num_classes, num_features, generator=generator) * signal
        graphs = []
        for i in range(num_graphs):
            label = i % num_classes
            n = int(torch.randint(min_nodes, max_nodes + 1, (1,), generator=generator))
            blocks = torch.randint(0, label + 2, (n,), generator=generator)
            edge_index = _sbm_edges(blocks, p_in, p_out, generator)
            x = class_means[label] + torch.randn(n, num_features, generator=generator)
            graphs.append(Data(x=x, edge_index=edge_index, y=torch.tensor([label])))
        self.data, self.slices = self.collate(graphs)


def sbm_graph_dataset(num_graphs: int = 60, num_classes: int = 2, **kwargs) -> SyntheticGraphDataset:
    """A :class:`SyntheticGraphDataset` (see there for the arguments)."""
    return SyntheticGraphDataset(num_graphs=num_graphs, num_classes=num_classes, **kwargs)


def community_graph(num_nodes: int, average_degree: float = 10.0, num_communities: int = 50,
                    num_features: int = 128, p_in: float = 0.8, signal: float = 1.0, labels: bool = True,
                    seed: int = 0) -> Data:
    """A large random graph with community structure, generated in a few vectorized passes (for scaling runs).

    Every node draws ``average_degree / 2`` edges, each to a uniformly random member of its own community with
    probability ``p_in`` and to a uniformly random node otherwise; edges are then made undirected
    (duplicates and self-loops removed), for an average degree close to ``average_degree``. Features are
    the community's mean direction times ``signal`` plus standard Gaussian noise (a degree-corrected-free
    planted-partition model with class-correlated features).

    Returns:
        Data: ``x`` float32 ``[N, num_features]``, ``edge_index`` ``[2, E]`` (undirected), ``y`` ``[N]``
        (the community, when ``labels``).
    """
    from torch_geometric.utils import coalesce, remove_self_loops

    if num_nodes < 1 or num_communities < 1 or num_communities > num_nodes:
        raise ValueError(f"need num_nodes >= num_communities >= 1, got {num_nodes} and {num_communities}")
    p_in = _check_probability("p_in", p_in)
    generator = torch.Generator().manual_seed(seed)
    y = torch.randint(0, num_communities, (num_nodes,), generator=generator)
    members = torch.argsort(y)
    counts = torch.bincount(y, minlength=num_communities)
    offsets = torch.cumsum(counts, 0) - counts
    per_node = max(1, int(round(average_degree / 2)))
    source = torch.arange(num_nodes).repeat_interleave(per_node)
    community = y[source]
    inside = torch.rand(source.numel(), generator=generator) < p_in
    pick = (torch.rand(source.numel(), generator=generator, dtype=torch.float64) * counts[community]).long()
    target = torch.where(inside, members[offsets[community] + pick],
                         torch.randint(0, num_nodes, (source.numel(),), generator=generator))
    del community, inside, pick
    edge_index, _ = remove_self_loops(torch.stack([torch.cat([source, target]), torch.cat([target, source])]))
    del source, target
    edge_index = coalesce(edge_index, num_nodes=num_nodes)
    means = torch.randn(num_communities, num_features, generator=generator) * signal
    x = torch.randn(num_nodes, num_features, generator=generator)
    x += means[y]
    data = Data(x=x, edge_index=edge_index, num_nodes=num_nodes)
    if labels:
        data.y = y
    return data
