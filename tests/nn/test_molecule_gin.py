import pytest
import torch
from torch_geometric.data import Batch, Data

from graphcl.nn import EncoderOutput, MoleculeGINEncoder, load_encoder, save_encoder

SMILES = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "[Na+].[Cl-]", "C"]


def molecule(smiles: str) -> Data:
    from ogb.utils import smiles2graph

    graph = smiles2graph(smiles)
    return Data(x=torch.from_numpy(graph["node_feat"]).long(),
                edge_index=torch.from_numpy(graph["edge_index"]).long(),
                edge_attr=torch.from_numpy(graph["edge_feat"]).long())


@pytest.fixture(scope="module")
def batch():
    return Batch.from_data_list([molecule(s) for s in SMILES])


@pytest.mark.parametrize("jk, width", [("last", 16), ("concat", 48), ("sum", 16), ("max", 16)])
def test_shapes_and_jumping_knowledge(batch, jk, width):
    torch.manual_seed(0)
    encoder = MoleculeGINEncoder(hidden_channels=16, num_layers=3, jumping_knowledge=jk).eval()
    out = encoder(batch)
    assert isinstance(out, EncoderOutput)
    assert out.node.shape == (batch.num_nodes, width) and out.graph.shape == (len(SMILES), width)
    assert encoder.out_channels == width
    # mean pooling: graph embedding equals the average of its atoms' embeddings
    first = batch.batch == 1
    assert torch.allclose(out.graph[1], out.node[first].mean(0), atol=1e-6)


def test_bond_features_matter_and_batch_independence(batch):
    torch.manual_seed(0)
    encoder = MoleculeGINEncoder(hidden_channels=16, num_layers=2).eval()
    single = encoder(molecule("c1ccccc1O")).graph
    assert torch.allclose(single[0], encoder(batch).graph[1], atol=1e-5)
    changed = molecule("c1ccccc1O")
    changed.edge_attr = torch.zeros_like(changed.edge_attr)  # every bond single instead of aromatic
    assert not torch.allclose(encoder(changed).graph, single)


def test_defaults_repr_and_reset(batch):
    encoder = MoleculeGINEncoder()
    assert encoder.num_layers == 5 and encoder.hidden_channels == 300
    assert repr(encoder) == ("MoleculeGINEncoder(hidden_channels=300, num_layers=5, p=0.0, "
                             "jumping_knowledge='last', pooling='mean')")
    small = MoleculeGINEncoder(hidden_channels=8, num_layers=2)
    before = [p.clone() for p in small.parameters()]
    small.reset_parameters()
    assert any(not torch.equal(a, b) for a, b in zip(before, small.parameters()))


def test_dropout_only_in_training(batch):
    encoder = MoleculeGINEncoder(hidden_channels=16, num_layers=2, p=0.5)
    encoder.eval()
    assert torch.equal(encoder(batch).graph, encoder(batch).graph)
    encoder.train()
    torch.manual_seed(0)
    a = encoder(batch).graph
    assert not torch.equal(a, encoder(batch).graph)


def test_save_and_load_round_trip(tmp_path, batch):
    encoder = MoleculeGINEncoder(hidden_channels=16, num_layers=2, jumping_knowledge="concat").eval()
    path = save_encoder(encoder, tmp_path / "enc.pt", extra={"method": "GraphCL"})
    loaded = load_encoder(path).eval()
    assert loaded.config == encoder.config
    assert torch.equal(loaded(batch).graph, encoder(batch).graph)
    assert load_encoder(path, p=0.5).p == 0.5
    torch.save({"weights": 1}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not an encoder checkpoint"):
        load_encoder(tmp_path / "other.pt")
    with pytest.raises(FileNotFoundError):
        load_encoder(tmp_path / "missing.pt")


def test_bad_inputs(batch):
    encoder = MoleculeGINEncoder(hidden_channels=8, num_layers=2)
    with pytest.raises(ValueError, match=r"\[N, 9\]"):
        encoder(Data(x=torch.zeros(3, 4, dtype=torch.long), edge_index=torch.zeros(2, 0, dtype=torch.long),
                     edge_attr=torch.zeros(0, 3, dtype=torch.long)))
    with pytest.raises(TypeError, match="torch.long"):
        encoder(Data(x=batch.x.float(), edge_index=batch.edge_index, edge_attr=batch.edge_attr))
    with pytest.raises(ValueError, match="edge_attr"):
        encoder(Data(x=batch.x, edge_index=batch.edge_index))
    with pytest.raises(ValueError, match="without atoms"):
        encoder(Data(x=torch.zeros(0, 9, dtype=torch.long), edge_index=torch.zeros(2, 0, dtype=torch.long),
                     edge_attr=torch.zeros(0, 3, dtype=torch.long)))
    for kwargs in ({"num_layers": 0}, {"p": 1.5}, {"jumping_knowledge": "lstm"}, {"pooling": "attention"}):
        with pytest.raises(ValueError):
            MoleculeGINEncoder(**kwargs)


def test_graph_without_bonds():
    encoder = MoleculeGINEncoder(hidden_channels=8, num_layers=2).eval()
    out = encoder(molecule("C"))
    assert out.graph.shape == (1, 8) and torch.isfinite(out.graph).all()
