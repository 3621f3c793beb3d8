import pytest
import torch
import torch.nn.functional as F
from torch_geometric.nn import GCNConv
from torch_geometric.utils import to_undirected

from graphcl.nn import EncoderOutput, GCNEncoder, load_encoder, normalized_adjacency, save_encoder


def _graph(num_nodes=12, num_features=20, density=0.2, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = (torch.rand(num_nodes, num_features, generator=g) < density).float()
    edge_index = to_undirected(torch.randint(0, num_nodes, (2, 3 * num_nodes), generator=g), num_nodes=num_nodes)
    return x, edge_index


def _reference(encoder, x, edge_index):
    """Layer by layer with PyG's GCNConv (same normalization) and PReLU."""
    h = x
    for layer in range(encoder.num_layers):
        conv = GCNConv(h.size(1), encoder.hidden_channels, cached=False)
        with torch.no_grad():
            conv.lin.weight.copy_(encoder.weights[layer].t())
            conv.bias.copy_(encoder.biases[layer])
        h = F.prelu(conv(h, edge_index), encoder.activations[layer].weight)
    return h


@pytest.mark.parametrize("sparse_features", [True, False, "auto"])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_gcn_matches_pyg_gcnconv(sparse_features, num_layers):
    torch.manual_seed(0)
    x, edge_index = _graph()
    encoder = GCNEncoder(20, 8, num_layers=num_layers, sparse_features=sparse_features)
    with torch.no_grad():  # non-zero biases and slopes so that every parameter matters
        for bias in encoder.biases:
            bias.uniform_(-0.5, 0.5)
    out = encoder(x, edge_index)
    assert isinstance(out, EncoderOutput) and out.graph is None
    assert out.node.shape == (12, 8)
    torch.testing.assert_close(out.node, _reference(encoder, x, edge_index), atol=1e-6, rtol=1e-5)


def test_gcn_gradients_match_dense_computation():
    torch.manual_seed(0)
    x, edge_index = _graph()
    sparse = GCNEncoder(20, 8, sparse_features=True)
    dense = GCNEncoder(20, 8, sparse_features=False)
    dense.load_state_dict(sparse.state_dict())
    target = torch.randn(12, 8)
    for encoder in (sparse, dense):
        (encoder(x, edge_index).node * target).sum().backward()
    for a, b in zip(sparse.parameters(), dense.parameters()):
        torch.testing.assert_close(a.grad, b.grad, atol=1e-6, rtol=1e-5)


def test_adjacency_cache_distinguishes_graphs():
    torch.manual_seed(0)
    x, edge_index = _graph()
    other = edge_index[:, : edge_index.size(1) // 2].clone()
    cached = GCNEncoder(20, 8)
    uncached = GCNEncoder(20, 8, cached=False)
    uncached.load_state_dict(cached.state_dict())
    for graph in (edge_index, other, edge_index, other):
        torch.testing.assert_close(cached(x, graph).node, uncached(x, graph).node)


def test_graph_without_edges_is_a_per_node_layer():
    torch.manual_seed(0)
    x, _ = _graph()
    encoder = GCNEncoder(20, 8)
    out = encoder(x, torch.empty(2, 0, dtype=torch.long)).node
    expected = encoder.activations[0](x @ encoder.weights[0] + encoder.biases[0])  # A + I = I
    torch.testing.assert_close(out, expected)


def test_normalized_adjacency_is_symmetric_normalization():
    edge_index = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
    adjacency = normalized_adjacency(edge_index, 3).matrix.to_dense()
    a = torch.tensor([[1.0, 1, 0], [1, 1, 1], [0, 1, 1]])
    d = a.sum(1).rsqrt()
    torch.testing.assert_close(adjacency, d[:, None] * a * d[None, :])


def test_reset_parameters_and_repr():
    torch.manual_seed(0)
    encoder = GCNEncoder(20, 8, num_layers=2)
    assert repr(encoder) == "GCNEncoder(20, 8, num_layers=2)"
    with torch.no_grad():
        for p in encoder.parameters():
            p.fill_(3.0)
    encoder.reset_parameters()
    assert torch.all(encoder.biases[0] == 0)
    assert torch.allclose(encoder.activations[0].weight, torch.tensor(0.25))
    bound = (6 / (20 + 8)) ** 0.5
    assert encoder.weights[0].abs().max() <= bound and encoder.weights[0].std() > 0


@pytest.mark.parametrize("bad", [torch.zeros(5, 7), torch.zeros(5), torch.zeros(0, 20)])
def test_bad_features_raise(bad):
    encoder = GCNEncoder(20, 8)
    with pytest.raises(ValueError):
        encoder(bad, torch.empty(2, 0, dtype=torch.long))


def test_edge_index_out_of_range_raises():
    with pytest.raises(ValueError, match="outside"):
        GCNEncoder(20, 8)(torch.zeros(3, 20), torch.tensor([[0], [5]]))


def test_bad_constructor_arguments():
    with pytest.raises(ValueError):
        GCNEncoder(0, 8)
    with pytest.raises(ValueError):
        GCNEncoder(20, 8, sparse_features="sometimes")


def test_save_load_roundtrip_gives_identical_embeddings(tmp_path):
    torch.manual_seed(0)
    x, edge_index = _graph()
    encoder = GCNEncoder(20, 8, num_layers=2)
    with torch.no_grad():
        encoder.activations[1].weight.fill_(0.1)
    save_encoder(encoder, tmp_path / "encoder.pt", extra={"dataset": "toy"})
    loaded = load_encoder(tmp_path / "encoder.pt")
    assert isinstance(loaded, GCNEncoder) and loaded.config == encoder.config
    torch.testing.assert_close(loaded(x, edge_index).node, encoder(x, edge_index).node, rtol=0, atol=0)
