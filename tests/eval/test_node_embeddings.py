"""Layer-wise chunked inference equals the full-graph forward pass of the GCN encoder."""
import numpy as np
import torch
from torch_geometric.data import Data

from graphcl.eval.node_embeddings import layerwise_embeddings, save_node_embeddings
from graphcl.methods import DGI
from graphcl.nn import GCNEncoder


def graph_with_loops_and_isolated_nodes():
    generator = torch.Generator().manual_seed(0)
    edge_index = torch.randint(0, 9, (2, 30), generator=generator)  # duplicates and self-loops included
    edge_index = torch.cat([edge_index, torch.tensor([[2, 2], [2, 2]])], dim=1)
    x = torch.randn(11, 5, generator=generator)  # nodes 9 and 10 have no edges
    return Data(x=x, edge_index=edge_index)


def test_chunks_equal_the_full_forward_pass():
    torch.manual_seed(0)
    data = graph_with_loops_and_isolated_nodes()
    encoder = GCNEncoder(5, 7, num_layers=2)
    for prelu in encoder.activations:  # a distinct slope per layer, so a swapped layer shows
        torch.nn.init.uniform_(prelu.weight, 0.1, 0.4)
    reference = encoder(data).node.detach()
    for chunk_size in (1, 3, 100):
        assert torch.allclose(layerwise_embeddings(encoder, data, chunk_size=chunk_size), reference, atol=1e-5)
    # a method is accepted too (its encoder is used)
    method = DGI(encoder)
    assert torch.allclose(layerwise_embeddings(method, data, chunk_size=4), reference, atol=1e-5)


def test_save_writes_one_row_per_node(tmp_path):
    torch.manual_seed(1)
    data = graph_with_loops_and_isolated_nodes()
    encoder = GCNEncoder(5, 4, num_layers=1)
    path = tmp_path / "emb.npy"
    assert save_node_embeddings(encoder, data, path, chunk_size=2) == (11, 4)
    saved = np.load(path)
    assert saved.dtype == np.float32
    np.testing.assert_allclose(saved, encoder(data).node.detach().numpy(), atol=1e-5)
    assert [p.name for p in tmp_path.iterdir()] == ["emb.npy"]  # no temporary file left behind
