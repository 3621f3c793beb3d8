import pytest
import torch
from torch_geometric.data import Batch, Data

from graphcl.methods.graphcl_graph import GRAPHCL_CHEM_SUBGRAPH_P, GraphCL
from graphcl.nn import GINEncoder


def _path(n):
    edges = torch.tensor([[i, i + 1] for i in range(n - 1)]).t()
    return Data(x=torch.randn(n, 3), edge_index=torch.cat([edges, edges.flip(0)], dim=1))


def test_official_chemistry_subgraph_keeps_a_fifth_of_the_atoms():
    method = GraphCL(GINEncoder(3, 8, num_layers=2), augmentation=("node_drop", "subgraph"), p=0.2,
                     strengths={"subgraph": GRAPHCL_CHEM_SUBGRAPH_P}, generator=torch.Generator().manual_seed(0))
    drop, subgraph = method.transforms
    assert drop.p == pytest.approx(0.2) and subgraph.p == pytest.approx(0.8)
    batch = Batch.from_data_list([_path(10), _path(20)])
    kept = torch.bincount(subgraph(batch).batch, minlength=2).tolist()
    assert kept == [2, 4]  # 20 % of 10 and of 20 atoms
    assert torch.bincount(drop(batch).batch, minlength=2).tolist() == [8, 16]
    assert method.config["strengths"] == {"subgraph": 0.8}
    default = GraphCL(GINEncoder(3, 8, num_layers=2), augmentation=("node_drop", "subgraph"), p=0.2)
    assert default.transforms[1].p == pytest.approx(0.2) and default.config["strengths"] is None


def test_strengths_must_name_used_augmentations():
    with pytest.raises(ValueError, match="strengths given for \\['edge_perturb'\\]"):
        GraphCL(GINEncoder(3, 8), augmentation=("node_drop", "subgraph"), strengths={"edge_perturb": 0.5})
