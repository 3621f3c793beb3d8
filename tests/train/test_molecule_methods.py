import pytest
import torch
from torch_geometric.data import Batch, Data

from graphcl.nn import MoleculeGINEncoder
from graphcl.train import pretrain
from graphcl.train.molecules import OGB_ATOM_MASK_TOKEN, build_molecule_method

SMILES = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "CCN(CC)CC", "OC(=O)c1ccccc1", "C1CCNCC1", "CCOC(=O)C",
          "Cc1ccncc1"]


def molecules():
    from ogb.utils import smiles2graph

    out = []
    for smiles in SMILES:
        g = smiles2graph(smiles)
        out.append(Data(x=torch.from_numpy(g["node_feat"]).long(), edge_index=torch.from_numpy(g["edge_index"]).long(),
                        edge_attr=torch.from_numpy(g["edge_feat"]).long(), smiles=smiles))
    return out


def test_mask_token_is_a_valid_atom_category():
    from ogb.utils.features import get_atom_feature_dims

    assert all(0 <= token < dim for token, dim in zip(OGB_ATOM_MASK_TOKEN, get_atom_feature_dims()))


@pytest.mark.parametrize("name", ["graphcl", "joao", "joaov2"])
def test_molecule_methods_train(name):
    torch.manual_seed(0)
    method = build_molecule_method(name, MoleculeGINEncoder(hidden_channels=16, num_layers=2),
                                   generator=torch.Generator().manual_seed(0))
    assert method.config["temperature"] == 0.1
    batch = Batch.from_data_list(molecules())
    if name != "graphcl":
        for pair in [(i, j) for i in range(5) for j in range(5)]:  # every pair runs on OGB features
            assert torch.isfinite(method.pair_loss(batch, pair))
    result = pretrain(method, molecules(), epochs=2, batch_size=4, progress=False, seed=0)
    assert len(result.history) == 2 and all(torch.isfinite(torch.tensor(result.losses)))
    if name != "graphcl":
        assert abs(sum(result.history[-1]["aug_probs"]) - 1.0) < 1e-6


def test_unknown_method():
    with pytest.raises(ValueError, match="graphcl"):
        build_molecule_method("infograph")
