import pytest
import torch
from torch_geometric.data import Batch, Data

from graphcl.methods import InfoGraph
from graphcl.methods.base import Method
from graphcl.nn import GINEncoder, ShortcutMLP

from .jsd_reference import jsd_pair_loop
from .training_steps import adam_steps


def _graphs(num_graphs=5, seed=0):
    generator = torch.Generator().manual_seed(seed)
    graphs = []
    for index in range(num_graphs):
        n = 3 + index % 3
        edge_index = torch.stack([torch.arange(n - 1), torch.arange(1, n)])
        graphs.append(Data(x=torch.rand(n, 4, generator=generator),
                           edge_index=torch.cat([edge_index, edge_index.flip(0)], 1), y=torch.tensor([index % 2])))
    return graphs


def test_loss_matches_patch_graph_loop_reference():
    torch.manual_seed(0)
    model = InfoGraph(GINEncoder(4, 8, num_layers=3)).double()
    batch = Batch.from_data_list(_graphs())
    batch.x = batch.x.double()
    model.eval()  # batch norm with running statistics: the reference sees the same encoder outputs
    with torch.no_grad():
        out = model.encoder(batch)
        # graph embedding rebuilt independently: per-graph sums of the (concatenated) patch embeddings
        graph = torch.stack([out.node[batch.batch == g].sum(0) for g in range(batch.num_graphs)])
        expected = jsd_pair_loop(model.local_head(out.node), model.global_head(graph), batch.batch.tolist())
        assert float(model.loss(batch)) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_contract_embedding_and_training_step():
    torch.manual_seed(0)
    model = InfoGraph(GINEncoder(4, 8, num_layers=5))
    assert isinstance(model, Method) and model.embedding_level == "graph"
    assert isinstance(model.local_head, ShortcutMLP) and model.local_head.in_channels == 40
    assert model.config["encoder"]["class"] == "GINEncoder" and model.config["encoder"]["num_layers"] == 5
    batch = Batch.from_data_list(_graphs(6))
    losses = adam_steps(model, batch)
    assert losses[-1] < losses[0]
    assert all(p.grad is not None for p in model.encoder.parameters() if p.requires_grad)
    embedding = model.embed(batch)
    assert embedding.shape == (6, 40) and not embedding.requires_grad and model.training


def test_rejects_bad_parts():
    with pytest.raises(TypeError, match="out_channels"):
        InfoGraph(torch.nn.Linear(3, 3))
    with pytest.raises(TypeError, match="loss"):
        InfoGraph(GINEncoder(4), loss="jsd")
    with pytest.raises(ValueError, match="at least 2 graphs"):
        InfoGraph(GINEncoder(4)).loss(Batch.from_data_list(_graphs(1)))
