"""Encoders against hand-written references: explicit loops over edges and graphs, dense matrices.

GIN (Xu et al. 2019) as used by GraphCL's TU protocol, the GINE-style molecular GIN of Hu et al. (2020),
and H-GCN (Hu et al. 2019) on a 4-node path whose coarsening is worked out by hand.
"""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch_geometric.data import Batch, Data

from graphcl.nn import GINEncoder, MoleculeGINEncoder
from graphcl.nn.hierarchical_gcn import HierarchicalGCN, coarsening_hierarchy


def linear(x: torch.Tensor, layer: nn.Linear) -> torch.Tensor:
    return x @ layer.weight.double().t() + layer.bias.double()


def batch_norm_train(x: torch.Tensor, norm: nn.BatchNorm1d) -> torch.Tensor:
    mean = x.mean(0)
    var = ((x - mean) ** 2).mean(0)
    return (x - mean) / torch.sqrt(var + norm.eps) * norm.weight.double() + norm.bias.double()


def neighbour_sum(h: torch.Tensor, edge_index: torch.Tensor, messages=None) -> torch.Tensor:
    """``out[i] = sum over edges (j -> i) of message(j -> i)`` by a loop over the edges."""
    out = torch.zeros_like(h)
    for e, (j, i) in enumerate(edge_index.t().tolist()):
        out[i] += h[j] if messages is None else messages[e]
    return out


def pool(h: torch.Tensor, batch: torch.Tensor, kind: str) -> torch.Tensor:
    rows = []
    for g in range(int(batch.max()) + 1):
        members = h[batch == g]
        rows.append({"sum": members.sum(0), "mean": members.mean(0), "max": members.max(0).values}[kind])
    return torch.stack(rows)


# ------------------------------------------------------------------------------------------------------ GIN
def tu_batch() -> Batch:
    generator = torch.Generator().manual_seed(0)
    graphs = []
    for n, edges in [(4, [(0, 1), (1, 2), (2, 3), (3, 0), (0, 2)]), (3, [(0, 1), (2, 1)]), (5, [(4, 0), (1, 3)])]:
        # directed edges on purpose: a layer that aggregated the wrong direction would differ
        graphs.append(Data(x=torch.randn(n, 3, generator=generator), edge_index=torch.tensor(edges).t()))
    return Batch.from_data_list(graphs)


@pytest.mark.parametrize("pooling", ["sum", "mean", "max"])
@pytest.mark.parametrize("training", [True, False])
def test_gin_matches_the_loop_reference(pooling, training):
    data = tu_batch()
    torch.manual_seed(1)
    encoder = GINEncoder(3, hidden_channels=5, num_layers=3, pooling=pooling).train(training)
    for norm in encoder.norms:  # non-trivial batch-norm parameters and running statistics
        norm.weight.data.uniform_(0.5, 1.5)
        norm.bias.data.uniform_(-0.5, 0.5)
        norm.running_mean.uniform_(-0.2, 0.2)
        norm.running_var.uniform_(0.5, 2.0)
    norms_before = [(n.running_mean.clone(), n.running_var.clone()) for n in encoder.norms]
    out = encoder(data)
    h = data.x.double()
    nodes, graphs = [], []
    for conv, norm, (running_mean, running_var) in zip(encoder.convs, encoder.norms, norms_before):
        mlp = conv.nn
        # h_v <- BN(ReLU(MLP((1 + 0) h_v + sum_{u -> v} h_u)))
        h = torch.relu(linear(torch.relu(linear(h + neighbour_sum(h, data.edge_index), mlp[0])), mlp[2]))
        if training:
            h = batch_norm_train(h, norm)
        else:
            h = (h - running_mean.double()) / torch.sqrt(running_var.double() + norm.eps) \
                * norm.weight.double() + norm.bias.double()
        nodes.append(h)
        graphs.append(pool(h, data.batch, pooling))
    assert torch.allclose(out.node.double(), torch.cat(nodes, 1), atol=1e-5)
    assert torch.allclose(out.graph.double(), torch.cat(graphs, 1), atol=1e-5)
    last = GINEncoder(3, hidden_channels=5, num_layers=3, pooling=pooling, concat=False).train(training)
    last.load_state_dict(encoder.state_dict())
    if not training:
        assert torch.allclose(last(data).graph.double(), graphs[-1], atol=1e-5)


# ------------------------------------------------------------------------------------------- molecular GIN
def molecule_batch() -> Batch:
    generator = torch.Generator().manual_seed(0)
    graphs = []
    for n, edges in [(3, [(0, 1), (1, 0), (1, 2), (2, 1)]), (4, [(0, 1), (1, 0), (2, 3), (3, 2), (1, 3)])]:
        edge_index = torch.tensor(edges).t()
        # small category indices, valid for every OGB atom and bond feature
        graphs.append(Data(x=torch.randint(0, 2, (n, 9), generator=generator), edge_index=edge_index,
                           edge_attr=torch.randint(0, 2, (edge_index.size(1), 3), generator=generator)))
    return Batch.from_data_list(graphs)


def embed_categories(index: torch.Tensor, tables: nn.ModuleList) -> torch.Tensor:
    """OGB's encoders: the sum of one embedding per feature column."""
    return sum(tables[k].weight.double()[index[:, k]] for k in range(index.size(1)))


@pytest.mark.parametrize("jk", ["last", "concat", "sum", "max"])
def test_molecule_gin_matches_the_loop_reference(jk):
    data = molecule_batch()
    torch.manual_seed(2)
    encoder = MoleculeGINEncoder(hidden_channels=4, num_layers=3, jumping_knowledge=jk).train()
    out = encoder(data)
    h = embed_categories(data.x, encoder.atom_encoder.atom_embedding_list)
    layers = []
    for index, (conv, bond, norm) in enumerate(zip(encoder.convs, encoder.bond_encoders, encoder.norms)):
        bonds = embed_categories(data.edge_attr, bond.bond_embedding_list)
        # GINE message relu(h_j + e_ji), summed at i, then MLP(h_i + sum): Linear-BN-ReLU-Linear
        messages = [torch.relu(h[j] + bonds[e]) for e, (j, _) in enumerate(data.edge_index.t().tolist())]
        mlp = conv.nn
        z = h + neighbour_sum(h, data.edge_index, messages)
        z = linear(torch.relu(batch_norm_train(linear(z, mlp[0]), mlp[1])), mlp[3])
        h = batch_norm_train(z, norm)
        if index < 2:  # no ReLU after the last layer
            h = torch.relu(h)
        layers.append(h)
    node = {"last": layers[-1], "concat": torch.cat(layers, 1), "sum": sum(layers),
            "max": torch.stack(layers).max(0).values}[jk]
    assert torch.allclose(out.node.double(), node, atol=1e-5)
    assert torch.allclose(out.graph.double(), pool(node, data.batch, "mean"), atol=1e-5)


# ---------------------------------------------------------------------------------------------------- H-GCN
def path_of_four():
    edges = [(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2)]
    return torch.tensor(edges).t()


def test_path_is_coarsened_as_worked_out_by_hand():
    # No two nodes have the same neighbour set; the leaves (fewest neighbours) are visited first and take
    # their only neighbour: clusters {0, 1} and {2, 3}. Coarse adjacency C^T A C = [[2, 1], [1, 2]].
    hierarchy = coarsening_hierarchy(path_of_four(), 4, num_levels=1)
    assert hierarchy.num_nodes == [4, 2]
    assert hierarchy.cluster[0].tolist() == [0, 0, 1, 1]
    assert hierarchy.node_weight[1].tolist() == [2, 2]
    s6 = math.sqrt(6)
    # D^{-1/2}(A + I)D^{-1/2} with degrees 2, 3, 3, 2 and, on the coarse level, (A + I) = [[3, 1], [1, 3]]
    expected_fine = torch.tensor([[1 / 2, 1 / s6, 0, 0], [1 / s6, 1 / 3, 1 / 3, 0],
                                  [0, 1 / 3, 1 / 3, 1 / s6], [0, 0, 1 / s6, 1 / 2]])
    assert torch.allclose(hierarchy.adjacency[0].to_dense(), expected_fine, atol=1e-6)
    assert torch.allclose(hierarchy.adjacency[1].to_dense(), torch.tensor([[0.75, 0.25], [0.25, 0.75]]))
    r = 1 / math.sqrt(2)
    assert torch.allclose(hierarchy.pooling[0].to_dense(), torch.tensor([[r, r, 0, 0], [0, 0, r, r]]))


def test_hierarchical_gcn_forward_by_hand_on_a_path():
    """One level, every weight 1, no node-weight embedding, x = e_0:
    h0 = relu(A0 x) = [1/2, 1/sqrt6, 0, 0]; pooled = [(1/2 + 1/sqrt6)/sqrt2, 0] =: [a, 0];
    refined = relu(A1 [a, 0]) = [3a/4, a/4], copied back and added to h0; output = A0 (C refined + h0)."""
    hierarchy = coarsening_hierarchy(path_of_four(), 4, num_levels=1)
    model = HierarchicalGCN(1, 1, 1, num_levels=1, num_channels=1, node_weight_channels=0, p=0.0).eval()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.fill_(1.0)
    s6 = math.sqrt(6)
    a = (0.5 + 1 / s6) / math.sqrt(2)
    h = [0.5 + 0.75 * a, 1 / s6 + 0.75 * a, 0.25 * a, 0.25 * a]
    expected = [h[0] / 2 + h[1] / s6, h[0] / s6 + (h[1] + h[2]) / 3, (h[1] + h[2]) / 3 + h[3] / s6,
                h[2] / s6 + h[3] / 2]
    out = model(torch.tensor([[1.0], [0.0], [0.0], [0.0]]), hierarchy)
    assert out.view(-1).tolist() == pytest.approx(expected, rel=1e-6)


def test_hierarchical_gcn_matches_dense_reference_with_node_weights():
    """Random weights, two channels, node-weight embedding: the dense form of H-GCN's forward."""
    hierarchy = coarsening_hierarchy(path_of_four(), 4, num_levels=1)
    torch.manual_seed(0)
    model = HierarchicalGCN(3, 4, 2, num_levels=1, num_channels=2, node_weight_channels=2, p=0.5).eval()
    x = torch.randn(4, 3, dtype=torch.float64)
    s6 = math.sqrt(6)
    a0 = torch.tensor([[1 / 2, 1 / s6, 0, 0], [1 / s6, 1 / 3, 1 / 3, 0],
                       [0, 1 / 3, 1 / 3, 1 / s6], [0, 0, 1 / s6, 1 / 2]], dtype=torch.float64)
    a1 = torch.tensor([[0.75, 0.25], [0.25, 0.75]], dtype=torch.float64)
    c = torch.tensor([[1, 0], [1, 0], [0, 1], [0, 1]], dtype=torch.float64)
    pool = c.t() / math.sqrt(2)

    def gcn(layer, h, adjacency):  # sum over channels of a_c * A h W_c
        return sum(layer.channel_weight[k].double() * adjacency @ h @ layer.weight[k].double()
                   for k in range(layer.weight.size(0)))

    weight_embedding = model.node_weight_embedding.weight.double()[torch.tensor([2, 2])]
    h0 = torch.relu(gcn(model.coarsen_layers[0], x, a0))
    refined = torch.relu(gcn(model.refine_layers[0], torch.cat([pool @ h0, weight_embedding], 1), a1))
    expected = gcn(model.output_layer, c @ refined + h0, a0)
    out = model(x.float(), hierarchy)
    assert torch.allclose(out.double(), expected, atol=1e-5)
