"""PyG's private collation layout, which graphcl/augment/_collation.py reads and rewrites.

These tests fail when a torch_geometric release changes how Batch.from_data_list stores the metadata that
Batch.to_data_list uses; pyproject.toml bounds torch-geometric to the versions where they pass."""
from __future__ import annotations

import re
from pathlib import Path

import torch
import torch_geometric
from torch_geometric.data import Batch, Data
from torch_geometric.utils import subgraph

from graphcl.augment import _collation
from graphcl.augment._graph import layout, replace_graphs, select_graphs, select_nodes


def graphs():
    ring = torch.tensor([[0, 1, 2, 1, 2, 0], [1, 2, 0, 0, 1, 2]])
    path = torch.tensor([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]])
    return [Data(x=torch.arange(3.0).view(-1, 1), edge_index=ring, edge_attr=torch.arange(6.0).view(-1, 1),
                 y=torch.tensor([0]), smiles="C1CC1"),
            Data(x=torch.arange(10.0, 14.0).view(-1, 1), edge_index=path,
                 edge_attr=torch.arange(10.0, 16.0).view(-1, 1), y=torch.tensor([1]), smiles="CCCC"),
            Data(x=torch.tensor([[20.0]]), edge_index=torch.zeros(2, 0, dtype=torch.long),
                 edge_attr=torch.zeros(0, 1), y=torch.tensor([2]), smiles="C")]


def test_pyg_stores_the_collation_fields_graphcl_rewrites():
    batch = Batch.from_data_list(graphs())
    assert _collation.is_collated(batch) and not _collation.is_collated(graphs()[0])
    slices, increments = _collation.slices(batch), _collation.increments(batch)
    assert set(slices) == {"x", "edge_index", "edge_attr", "y", "smiles"}
    assert slices["x"].tolist() == [0, 3, 7, 8] == batch.ptr.tolist()
    assert slices["edge_index"].tolist() == slices["edge_attr"].tolist() == [0, 6, 12, 12]
    assert slices["y"].tolist() == slices["smiles"].tolist() == [0, 1, 2, 3]
    assert increments["edge_index"].tolist() == [0, 3, 7] and increments["x"].tolist() == [0, 0, 0]
    assert batch.num_graphs == 3
    featureless = Batch.from_data_list([Data(edge_index=torch.zeros(2, 0, dtype=torch.long), num_nodes=n)
                                        for n in (2, 5)])
    assert _collation.stored_num_nodes(featureless) == [2, 5]


def test_metadata_rebuilt_by_the_helper_separates_correctly():
    batch = Batch.from_data_list(graphs())
    keep = torch.tensor([True, False, True, True, True, False, True, True])
    out = select_nodes(batch, layout(batch), keep)
    parts = out.to_data_list()
    assert len(parts) == 3
    for part, graph, mask in zip(parts, graphs(), keep.split([3, 4, 1])):
        # reference: PyG's subgraph on each graph alone
        edge_index, edge_attr = subgraph(mask, graph.edge_index, graph.edge_attr, relabel_nodes=True,
                                         num_nodes=graph.num_nodes)
        assert torch.equal(part.x, graph.x[mask]) and torch.equal(part.edge_index, edge_index)
        assert torch.equal(part.edge_attr, edge_attr) and part.smiles == graph.smiles and torch.equal(part.y, graph.y)


def test_select_and_replace_graphs_round_trip():
    batch = Batch.from_data_list(graphs())
    info = layout(batch)
    mask = torch.tensor([True, False, True])
    part = select_graphs(batch, info, mask)
    for choice in ([True, False, True], [True, True, False], [False, True, True]):
        selected = select_graphs(batch, info, torch.tensor(choice))
        wanted = [graph for graph, chosen in zip(graphs(), choice) if chosen]
        for got, want in zip(selected.to_data_list(), wanted, strict=True):
            for key in ("x", "edge_index", "edge_attr", "y"):
                assert torch.equal(got[key], want[key]), key
            assert got.smiles == want.smiles
    replacement = Batch.from_data_list([graphs()[1], graphs()[0]])  # other sizes in the selected slots
    out = replace_graphs(batch, info, mask, replacement)
    expected = [graphs()[1], graphs()[1], graphs()[0]]
    for got, want in zip(out.to_data_list(), expected):
        for key in ("x", "edge_index", "edge_attr", "y"):
            assert torch.equal(got[key], want[key]), key
        assert got.smiles == want.smiles


def test_featureless_graphs_keep_their_node_counts():
    batch = Batch.from_data_list([Data(edge_index=torch.tensor([[0, 1], [1, 0]]), num_nodes=n) for n in (2, 5, 3)])
    keep = torch.tensor([True, True, True, False, True, False, True, True, True, False])
    out = select_nodes(batch, layout(batch), keep)
    assert [g.num_nodes for g in out.to_data_list()] == [2, 3, 2]


def test_pyproject_bounds_torch_geometric_to_the_checked_versions():
    text = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    bound = re.search(r'"torch-geometric>=[\d.]+,<([\d.]+)"', text)
    assert bound is not None, "torch-geometric needs an upper bound while _collation.py uses private fields"
    installed = tuple(int(part) for part in re.findall(r"\d+", torch_geometric.__version__)[:2])
    assert installed < tuple(int(part) for part in bound.group(1).split("."))
