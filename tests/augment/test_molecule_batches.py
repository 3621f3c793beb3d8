"""Augmentations on OGB-featurized molecules, as molecular pretraining uses them."""
from __future__ import annotations

import pickle

import pytest
import torch
from torch_geometric.data import Batch
from torch_geometric.utils import is_undirected

from graphcl.augment import (DropNodes, MaskAttributes, PerturbEdges, SampleSubgraph, SubstructureSubstitution,
                             make_augmentation)

pytest.importorskip("rdkit")
from graphcl.augment.chemistry import smiles_to_data  # noqa: E402

SMILES = ["CC(C)(C)c1ccc2occ(CC(=O)Nc3ccccc3F)c2c1", "C[C@@H]1CC(Nc2cncc(-c3nncn3C)c2)C[C@@H](C)C1",
          "N#Cc1ccc(-c2ccc(O[C@@H](C(=O)N3CCCC3)c3ccccc3)cc2)cc1", "O", "CCO", "[Na+].[Cl-]"]
MASK_TOKEN = torch.tensor([119, 5, 12, 12, 10, 6, 6, 2, 2])


@pytest.fixture(scope="module")
def molecules() -> Batch:
    data_list = []
    for i, s in enumerate(SMILES):
        data = smiles_to_data(s)
        data.y = torch.tensor([[float(i), float("nan")]])
        data_list.append(data)
    return Batch.from_data_list(data_list)


@pytest.mark.parametrize("aug", [DropNodes(0.2), SampleSubgraph(0.2), PerturbEdges(0.2),
                                 MaskAttributes(0.2, mode="token", mask_value=MASK_TOKEN)], ids=repr)
def test_views_of_a_molecule_batch(molecules, aug):
    aug.generator = torch.Generator().manual_seed(0)
    view = aug(molecules)
    assert view.x.dtype == torch.long and view.x.size(1) == 9
    assert view.edge_attr.dtype == torch.long and view.edge_attr.size(1) == 3
    assert view.smiles == molecules.smiles and torch.equal(view.y.isnan(), molecules.y.isnan())
    graphs = view.to_data_list()
    assert len(graphs) == len(SMILES)
    for graph, original in zip(graphs, molecules.to_data_list()):
        assert 1 <= graph.num_nodes <= original.num_nodes
        assert is_undirected(graph.edge_index, num_nodes=graph.num_nodes)
        # Bond features stay valid categories (added bonds copy an existing bond of the molecule).
        if graph.edge_attr.numel():
            assert set(map(tuple, graph.edge_attr.tolist())) <= set(map(tuple, original.edge_attr.tolist()))
    again = type(aug)(**{k: v for k, v in vars(aug).items() if k != "generator"},
                      generator=torch.Generator().manual_seed(0))(molecules)
    assert torch.equal(again.x, view.x) and torch.equal(again.edge_index, view.edge_index)


def test_transforms_pickle_for_dataloader_workers(molecules):
    for aug in [make_augmentation(name, 0.2) for name in ("node_drop", "subgraph", "edge_perturb", "attr_mask")]:
        clone = pickle.loads(pickle.dumps(aug))
        assert repr(clone) == repr(aug)
        assert clone(molecules).num_graphs == molecules.num_graphs
    substitution = pickle.loads(pickle.dumps(SubstructureSubstitution(k=1)))
    assert substitution("OC(=O)Cc1ccc(Cl)cc1") != "OC(=O)Cc1ccc(Cl)cc1"
