import pytest
import torch
from torch_geometric.data import Batch, Data

from graphcl.nn import EncoderOutput
from graphcl.nn.gin import GINEncoder


def _graphs(num_graphs=4, features=5, seed=0):
    generator = torch.Generator().manual_seed(seed)
    graphs = []
    for index in range(num_graphs):
        n = 3 + index
        edge_index = torch.stack([torch.arange(n - 1), torch.arange(1, n)])
        edge_index = torch.cat([edge_index, edge_index.flip(0)], dim=1)
        graphs.append(Data(x=torch.randn(n, features, generator=generator), edge_index=edge_index))
    return Batch.from_data_list(graphs)


def test_shapes_and_concatenation():
    batch = _graphs()
    encoder = GINEncoder(5, hidden_channels=32, num_layers=3)
    out = encoder(batch)
    assert isinstance(out, EncoderOutput)
    assert encoder.out_channels == 96
    assert out.node.shape == (batch.num_nodes, 96)
    assert out.graph.shape == (4, 96)
    # the graph embedding is the per-layer sum of node embeddings, concatenated
    expected = torch.zeros(4, 96).index_add_(0, batch.batch, out.node)
    assert torch.allclose(out.graph, expected, atol=1e-5)


@pytest.mark.parametrize("pooling", ["sum", "mean", "max"])
def test_configurable_depth_width_pooling(pooling):
    encoder = GINEncoder(5, hidden_channels=8, num_layers=2, pooling=pooling)
    out = encoder(_graphs())
    assert out.graph.shape == (4, 16)
    last = GINEncoder(5, hidden_channels=8, num_layers=2, concat=False)(_graphs())
    assert last.graph.shape == (4, 8)


def test_graphs_without_features_use_a_constant():
    batch = _graphs()
    del batch.x
    out = GINEncoder(1, hidden_channels=4)(batch)
    assert out.graph.shape == (4, 12)
    with pytest.raises(ValueError, match="no node features"):
        GINEncoder(3)(batch)


def test_bad_input_and_arguments():
    with pytest.raises(ValueError, match="size 4"):
        GINEncoder(4)(_graphs(features=5))
    batch = _graphs()
    batch.x[0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        GINEncoder(5)(batch)
    with pytest.raises(ValueError, match="pooling"):
        GINEncoder(5, pooling="attention")
    with pytest.raises(ValueError, match="num_layers"):
        GINEncoder(5, num_layers=0)


def test_reset_parameters_and_repr():
    encoder = GINEncoder(5)
    torch.manual_seed(0)
    encoder.reset_parameters()
    first = [p.detach().clone() for p in encoder.parameters()]
    with torch.no_grad():
        for parameter in encoder.parameters():
            parameter.add_(1.0)
    torch.manual_seed(0)
    encoder.reset_parameters()
    assert all(torch.equal(a, b) for a, b in zip(first, encoder.parameters()))
    assert repr(encoder) == "GINEncoder(5, 32, num_layers=3, pooling='sum')"


def test_single_graph_without_batch_vector():
    data = _graphs(1).to_data_list()[0]
    out = GINEncoder(5).eval()(data)
    assert out.graph.shape == (1, 96)


@pytest.mark.parametrize("pooling,batch_norm,concat", [("sum", True, True), ("mean", False, False)])
def test_checkpoint_round_trip(tmp_path, pooling, batch_norm, concat):
    from graphcl.nn import load_encoder, save_encoder

    torch.manual_seed(0)
    encoder = GINEncoder(5, 16, num_layers=2, pooling=pooling, batch_norm=batch_norm, concat=concat)
    batch = _graphs()
    encoder.train()(batch)  # moves the batch-norm running statistics away from their initial values
    encoder.eval()
    path = save_encoder(encoder, tmp_path / "gin.pt")
    loaded = load_encoder(path).eval()
    assert isinstance(loaded, GINEncoder) and loaded.config == encoder.config
    assert torch.equal(loaded(batch).graph, encoder(batch).graph)
