import numpy as np
import pytest
import torch
from torch_geometric.data import Batch, Data

from graphcl.data import with_ppr_diffusion
from graphcl.methods import GraphMVGRL
from graphcl.methods.base import Method
from graphcl.nn import GraphGCNEncoder

from .jsd_reference import jsd_pair_loop
from .training_steps import adam_steps


def _graphs(num_graphs=4, seed=1):
    generator = torch.Generator().manual_seed(seed)
    graphs = []
    for index in range(num_graphs):
        n = 3 + index % 3
        edges = [(i, i + 1) for i in range(n - 1)] + ([(0, n - 1)] if index % 2 else [])
        edge_index = torch.tensor(edges).t()
        graphs.append(Data(x=torch.rand(n, 3, generator=generator), edges=edges, num_nodes=n,
                           edge_index=torch.cat([edge_index, edge_index.flip(0)], 1)))
    return graphs


def _dense_views(edges, n, alpha=0.2):
    a = np.eye(n)
    for u, v in edges:
        a[u, v] = a[v, u] = 1.0
    d = np.diag(a.sum(1) ** -0.5)
    normalized = d @ a @ d
    return normalized, alpha * np.linalg.inv(np.eye(n) - (1 - alpha) * normalized)


def _dense_gcn(encoder, x, propagation):
    """The official dense layer: PReLU(S (X W) + b); node = last layer, graph = concatenated layer sums."""
    pooled, h = [], x
    for conv, act in zip(encoder.convs, encoder.activations):
        z = propagation @ (h @ conv.lin.weight.detach().double().numpy().T) + conv.bias.detach().double().numpy()
        h = np.where(z > 0, z, float(act.weight.detach()) * z)
        pooled.append(h.sum(0))
    return h, np.concatenate(pooled)


def test_loss_matches_dense_per_graph_reference():
    torch.manual_seed(0)
    graphs = _graphs()
    model = GraphMVGRL(GraphGCNEncoder(3, 6, num_layers=2), GraphGCNEncoder(3, 6, num_layers=2, normalize=False))
    batch = Batch.from_data_list(with_ppr_diffusion([Data(x=g.x, edge_index=g.edge_index) for g in graphs]))
    nodes_a, nodes_d, graphs_a, graphs_d, index = [], [], [], [], []
    for g, graph in enumerate(graphs):
        adjacency, diffusion = _dense_views(graph.edges, graph.num_nodes)
        x = graph.x.double().numpy()
        node, pooled = _dense_gcn(model.adjacency_encoder, x, adjacency)
        nodes_a.append(node), graphs_a.append(pooled)
        node, pooled = _dense_gcn(model.diffusion_encoder, x, diffusion)
        nodes_d.append(node), graphs_d.append(pooled)
        index += [g] * graph.num_nodes
    with torch.no_grad():
        la = model.node_head(torch.tensor(np.concatenate(nodes_a)).float())
        ld = model.node_head(torch.tensor(np.concatenate(nodes_d)).float())
        ga = model.graph_head(torch.tensor(np.stack(graphs_a)).float())
        gd = model.graph_head(torch.tensor(np.stack(graphs_d)).float())
        expected = jsd_pair_loop(la, gd, index) + jsd_pair_loop(ld, ga, index)
        assert float(model.loss(batch)) == pytest.approx(expected, rel=1e-4, abs=1e-4)
        assert torch.allclose(model.embed(batch), ga + gd, atol=1e-4)


def test_contract_training_and_errors():
    torch.manual_seed(0)
    model = GraphMVGRL(GraphGCNEncoder(3, 8, num_layers=3), GraphGCNEncoder(3, 8, num_layers=3, normalize=False))
    assert isinstance(model, Method) and model.embedding_level == "graph"
    batch = Batch.from_data_list(with_ppr_diffusion([Data(x=g.x, edge_index=g.edge_index) for g in _graphs(6)]))
    losses = adam_steps(model, batch)
    assert losses[-1] < losses[0]
    assert model.embed(batch).shape == (6, 8)
    plain = Batch.from_data_list([Data(x=g.x, edge_index=g.edge_index) for g in _graphs(3)])
    with pytest.raises(ValueError, match="diffusion"):
        model.loss(plain)
    with pytest.raises(ValueError, match="same size"):
        GraphMVGRL(GraphGCNEncoder(3, 8, num_layers=3), GraphGCNEncoder(3, 8, num_layers=2, normalize=False))
