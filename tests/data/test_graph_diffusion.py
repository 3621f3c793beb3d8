import numpy as np
import pytest
import torch
from torch_geometric.data import Batch, Data

from graphcl.data import GraphPPRDiffusion, ppr_matrix, with_ppr_diffusion


def _dense(edge_index, weight, n):
    out = np.zeros((n, n))
    for (source, target), value in zip(edge_index.t().tolist(), weight.tolist()):
        out[target, source] += value
    return out


def _series_reference(edges, n, alpha, terms=400):
    """alpha * sum_k (1 - alpha)^k T^k with T = D^-1/2 (A + I) D^-1/2 built entry by entry."""
    a = np.eye(n)
    for u, v in edges:
        a[u, v] = a[v, u] = 1.0
    degree = a.sum(1)
    t = np.array([[a[i, j] / np.sqrt(degree[i] * degree[j]) for j in range(n)] for i in range(n)])
    total, power = np.zeros((n, n)), np.eye(n)
    for k in range(terms):
        total += alpha * (1 - alpha) ** k * power
        power = power @ t
    return total


def test_two_node_hand_value():
    data = Data(x=torch.ones(2, 1), edge_index=torch.tensor([[0, 1], [1, 0]]))
    out = GraphPPRDiffusion(alpha=0.2)(data)
    # (A + I) / 2 = J / 2, (I - 0.4 J)^-1 = I + 2 J, times 0.2
    assert np.allclose(_dense(out.diff_edge_index, out.diff_edge_weight, 2), [[0.6, 0.4], [0.4, 0.6]], atol=1e-6)
    assert "diff_edge_index" not in data  # the input is not modified


@pytest.mark.parametrize("alpha", [0.2, 0.5])
def test_matches_power_series_with_two_components(alpha):
    edges = [(0, 1), (1, 2), (2, 3), (1, 3), (4, 5)]
    edge_index = torch.tensor(edges).t()
    edge_index = torch.cat([edge_index, edge_index.flip(0)], dim=1)
    data = Data(x=torch.ones(6, 1), edge_index=edge_index)
    out = GraphPPRDiffusion(alpha=alpha)(data)
    expected = _series_reference(edges, 6, alpha)
    assert np.allclose(_dense(out.diff_edge_index, out.diff_edge_weight, 6), expected, atol=1e-6)
    # entries between the two components are zero and are not stored
    assert out.diff_edge_index.size(1) == 4 * 4 + 2 * 2
    assert np.allclose(ppr_matrix(edge_index, 6, alpha).numpy(), expected, atol=1e-9)


def test_batch_carries_block_diagonal_diffusion():
    graphs = [Data(x=torch.ones(n, 1), edge_index=torch.stack([torch.arange(n - 1), torch.arange(1, n)]))
              for n in (3, 4, 2)]
    graphs = [Data(x=g.x, edge_index=torch.cat([g.edge_index, g.edge_index.flip(0)], 1)) for g in graphs]
    batch = Batch.from_data_list(with_ppr_diffusion(graphs))
    dense = _dense(batch.diff_edge_index, batch.diff_edge_weight, 9)
    offset = 0
    for graph in graphs:
        n = graph.num_nodes
        edges = [tuple(e) for e in graph.edge_index.t().tolist()]
        assert np.allclose(dense[offset:offset + n, offset:offset + n], _series_reference(edges, n, 0.2), atol=1e-6)
        dense[offset:offset + n, offset:offset + n] = 0
        offset += n
    assert np.allclose(dense, 0)


def test_rejects_bad_settings_and_large_graphs():
    with pytest.raises(ValueError, match="alpha"):
        GraphPPRDiffusion(alpha=1.0)
    with pytest.raises(ValueError, match="max_nodes"):
        GraphPPRDiffusion(max_nodes=3)(Data(x=torch.ones(4, 1), edge_index=torch.empty(2, 0, dtype=torch.long)))
