import pytest
import torch
from torch_geometric.data import Batch

from graphcl.data import smiles_to_graphs
from graphcl.nn import MoleculeGINEncoder, load_encoder, save_encoder
from graphcl.nn.molecule_gin import Hu2020GINConv


def test_hu2020_conv_matches_a_loop():
    torch.manual_seed(0)
    conv = Hu2020GINConv(4)
    x = torch.randn(3, 4)
    edge_index = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
    edge_attr = torch.tensor([[0, 0], [0, 0], [1, 2], [1, 2]])
    out = conv(x, edge_index, edge_attr)
    bond = conv.bond_encoder
    expected = []
    for i in range(3):
        total = x[i] + bond.bond_type.weight[4] + bond.direction.weight[0]  # self-loop: type 4, direction 0
        for k in range(edge_index.size(1)):
            if edge_index[1, k] == i:
                j = edge_index[0, k]
                total = total + x[j] + bond.bond_type.weight[edge_attr[k, 0]] + bond.direction.weight[edge_attr[k, 1]]
        expected.append(conv.mlp(total))
    torch.testing.assert_close(out, torch.stack(expected))
    # Linear-ReLU-Linear, no batch norm inside the MLP
    assert [type(m).__name__ for m in conv.mlp] == ["Linear", "ReLU", "Linear"]


def test_hu2020_encoder_shapes_repr_and_checkpoint(tmp_path):
    graphs, _ = smiles_to_graphs(["CCO", "c1ccccc1O", "C[C@H](F)Cl"], "hu2020")
    batch = Batch.from_data_list(graphs)
    torch.manual_seed(0)
    encoder = MoleculeGINEncoder(16, 2, featurizer="hu2020").eval()
    out = encoder(batch)
    assert out.graph.shape == (3, 16) and out.node.shape == (batch.num_nodes, 16)
    assert repr(encoder).endswith("featurizer='hu2020')")
    assert "featurizer" not in repr(MoleculeGINEncoder(16, 2))
    save_encoder(encoder, tmp_path / "enc.pt")
    loaded = load_encoder(tmp_path / "enc.pt").eval()
    assert loaded.featurizer == "hu2020"
    torch.testing.assert_close(loaded(batch).graph, out.graph)


def test_featurizer_mismatch_is_a_clear_error():
    hu = Batch.from_data_list(smiles_to_graphs(["CCO"], "hu2020")[0])
    ogb = Batch.from_data_list(smiles_to_graphs(["CCO"], "ogb")[0])
    with pytest.raises(ValueError, match="looks like 'hu2020'-featurized data"):
        MoleculeGINEncoder(8, 2)(hu)
    with pytest.raises(ValueError, match="looks like 'ogb'-featurized data"):
        MoleculeGINEncoder(8, 2, featurizer="hu2020")(ogb)
