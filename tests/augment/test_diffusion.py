"""Sparse PPR diffusion against a dense inverse computed independently."""
import pytest
import torch

from graphcl.augment.diffusion import PPRDiffusion, ppr_diffusion
from graphcl.data.synthetic import sbm_graph, sparse_sbm_graph


def dense_ppr(edge_index: torch.Tensor, num_nodes: int, alpha: float) -> torch.Tensor:
    """alpha (I - (1 - alpha) D^-1/2 (A + I) D^-1/2)^-1 in float64, as MVGRL's compute_ppr."""
    a = torch.zeros(num_nodes, num_nodes, dtype=torch.float64)
    a[edge_index[1], edge_index[0]] = 1.0
    a += torch.eye(num_nodes, dtype=torch.float64)
    d = a.sum(1).pow(-0.5)
    t = d[:, None] * a * d[None, :]
    return alpha * torch.linalg.inv(torch.eye(num_nodes, dtype=torch.float64) - (1 - alpha) * t)


def to_dense(index: torch.Tensor, weight: torch.Tensor, num_nodes: int) -> torch.Tensor:
    out = torch.zeros(num_nodes, num_nodes, dtype=torch.float64)
    out[index[1], index[0]] = weight.double()  # edge (j, i) carries S_ij
    return out


@pytest.mark.parametrize("block_size", [7, 4096])
def test_matches_dense_inverse(block_size):
    data = sbm_graph(50, num_val=10, seed=3)
    expected = dense_ppr(data.edge_index, 50, 0.2)
    index, weight = ppr_diffusion(data.edge_index, 50, alpha=0.2, eps=1e-8, block_size=block_size)
    assert torch.allclose(to_dense(index, weight, 50), expected, atol=1e-5)


def test_path_graph_by_hand():
    # path 0 - 1 - 2, alpha = 0.5: dense inverse of the 3x3 system solved independently with a loop
    edge_index = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
    deg = torch.tensor([2.0, 3.0, 2.0], dtype=torch.float64)  # with self-loops
    t = torch.zeros(3, 3, dtype=torch.float64)
    for i, j in [(0, 1), (1, 0), (1, 2), (2, 1), (0, 0), (1, 1), (2, 2)]:
        t[i, j] = 1 / (deg[i] * deg[j]).sqrt()
    # Neumann series to convergence
    expected, term = torch.zeros(3, 3, dtype=torch.float64), torch.eye(3, dtype=torch.float64)
    for _ in range(200):
        expected += 0.5 * term
        term = 0.5 * term @ t
    index, weight = ppr_diffusion(edge_index, 3, alpha=0.5, eps=1e-10)
    assert torch.allclose(to_dense(index, weight, 3), expected, atol=1e-6)


def test_threshold_and_top_k():
    data = sbm_graph(60, seed=1)
    dense = dense_ppr(data.edge_index, 60, 0.2)
    index, weight = ppr_diffusion(data.edge_index, 60, alpha=0.2, eps=1e-3, top_k=4)
    assert torch.bincount(index[1], minlength=60).max() <= 4
    assert weight.min() >= 1e-3
    # every kept entry is close to the exact one, and is among the 4 largest of its row (up to the slack)
    exact = dense[index[1], index[0]]
    # dropping small terms only ever underestimates, by little
    assert bool((weight.double() <= exact + 1e-6).all())
    assert float((exact - weight.double()).max()) < 5e-3
    fourth = dense.topk(4, dim=1).values[:, -1]
    assert bool((exact >= fourth[index[1]] - 5e-3).all())


def test_stays_sparse_on_a_large_graph():
    data = sparse_sbm_graph(2_000, avg_degree=6, seed=0)
    index, weight = ppr_diffusion(data.edge_index, data.num_nodes, eps=1e-3, top_k=16)
    assert index.size(1) <= 16 * data.num_nodes
    assert torch.isfinite(weight).all()


def test_transform_and_errors():
    data = sbm_graph(30, train_per_class=5, num_val=5, seed=0)
    out = PPRDiffusion(alpha=0.2, eps=1e-4, top_k=8)(data.clone())
    assert out.diff_edge_index.size(1) == out.diff_edge_weight.numel() > 0
    with pytest.raises(ValueError, match="alpha"):
        ppr_diffusion(data.edge_index, 30, alpha=1.0)
    with pytest.raises(ValueError, match="eps"):
        ppr_diffusion(data.edge_index, 30, eps=0.0)
    with pytest.raises(ValueError, match="outside"):
        ppr_diffusion(data.edge_index, 5)
