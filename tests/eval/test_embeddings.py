import pytest
import torch
from torch_geometric.data import Batch

from graphcl.data.synthetic import sbm_graph_dataset
from graphcl.eval.embeddings import embed_graphs, module_device
from graphcl.eval.svm import embed_dataset
from graphcl.methods import GraphCL
from graphcl.nn import GINEncoder


def test_embed_graphs_matches_one_graph_at_a_time_in_order():
    torch.manual_seed(0)
    dataset = sbm_graph_dataset(num_graphs=20, num_features=8)
    method = GraphCL(GINEncoder(8, 16))
    method.train()
    embeddings, labels = embed_graphs(method, dataset, batch_size=7)
    # reference: each graph alone through the encoder in eval mode (batch norm uses running statistics)
    method.encoder.eval()
    reference = torch.cat([method.encoder(Batch.from_data_list([dataset[i]])).graph for i in range(len(dataset))])
    torch.testing.assert_close(embeddings, reference.detach())
    assert labels.shape == (20, 1) and torch.equal(labels.view(-1), torch.stack([g.y.view(-1)[0] for g in dataset]))
    assert method.training  # the mode is restored
    # an encoder alone gives the same graph embeddings; the SVM helper flattens the labels
    torch.testing.assert_close(embed_graphs(method.encoder, dataset)[0], reference.detach())
    assert embed_dataset(method, dataset)[1].shape == (20,)
    assert module_device(method) == torch.device("cpu")


def test_embed_graphs_refuses_empty_data():
    with pytest.raises(ValueError, match="empty"):
        embed_graphs(GINEncoder(8, 16), [])
