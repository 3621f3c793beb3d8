import numpy as np
import pytest
import torch
from torch_geometric.utils import to_undirected

from graphcl.nn.hierarchical_gcn import (HierarchicalGCN, coarsen_once, coarsening_hierarchy,
                                         structural_equivalence_groups, structural_similarity_matching)


def _csr(edges, n):
    import scipy.sparse as sp

    edges = np.asarray(edges).T
    adj = sp.csr_matrix((np.ones(edges.shape[1]), (edges[0], edges[1])), shape=(n, n))
    return (adj + adj.T).tocsr()


def _undirected(edges, n):
    return to_undirected(torch.tensor(edges).t(), num_nodes=n)


def test_structurally_equivalent_nodes_are_grouped():
    # 0 and 1 both see exactly {2, 3}; 4 sees {3}, 5 sees {3}: two equivalence groups; 2, 3 stay alone
    adj = _csr([(0, 2), (0, 3), (1, 2), (1, 3), (4, 3), (5, 3)], 6)
    group = structural_equivalence_groups(adj)
    assert group[0] == group[1] != -1
    assert group[4] == group[5] != -1
    assert group[0] != group[4]
    assert group[2] == -1 and group[3] == -1


def test_isolated_nodes_share_one_group_and_self_loops_count():
    adj = _csr([(0, 1)], 5)  # 2, 3 and 4 have no neighbours: the same (empty) set, one group
    group = structural_equivalence_groups(adj)
    assert group[2] == group[3] == group[4] != -1
    assert group[0] == group[1] == -1
    # 0 and 1 both see {2}; a stored self-loop on 0 makes its neighbour set {0, 2}
    import scipy.sparse as sp

    adj = _csr([(0, 2), (1, 2)], 3)
    assert structural_equivalence_groups(adj)[0] == structural_equivalence_groups(adj)[1] != -1
    looped = (adj + sp.csr_matrix(([1.0], ([0], [0])), shape=(3, 3))).tocsr()
    assert (structural_equivalence_groups(looped)[:2] == -1).all()


def _weighted(rows, cols, vals, n):
    import scipy.sparse as sp

    adj = sp.csr_matrix((vals, (rows, cols)), shape=(n, n))
    return (adj + adj.T).tocsr()


def test_strongest_normalized_pair_is_matched():
    # square 0-1-3-2-0, every node has two neighbours; the heavy edge 0-1 is the strongest for 0
    # (A_ij / sqrt(d_i d_j) = 5 / 6 against 1 / sqrt(12)), and 0 is visited first
    adj = _weighted([0, 0, 1, 2], [1, 2, 3, 3], [5.0, 1.0, 1.0, 1.0], 4)
    partner = structural_similarity_matching(adj, np.ones(4, dtype=np.int64), np.zeros(4, dtype=bool))
    assert partner.tolist() == [1, 0, 3, 2]


def test_matching_visits_nodes_with_fewest_neighbours_first():
    # path 0-1-2-3 with a heavy middle edge: the leaves 0 and 3 are visited first and take their only
    # neighbour, so the heavy pair (1, 2) is not formed (the official greedy order)
    adj = _weighted([0, 1, 2], [1, 2, 3], [1.0, 5.0, 1.0], 4)
    partner = structural_similarity_matching(adj, np.ones(4, dtype=np.int64), np.zeros(4, dtype=bool))
    assert partner.tolist() == [1, 0, 3, 2]
    # with 0 already grouped, 3 goes first and takes 2; 1 is left alone
    marked = np.array([True, False, False, False])
    partner = structural_similarity_matching(adj, np.ones(4, dtype=np.int64), marked)
    assert partner.tolist() == [-1, -1, 3, 2]


def test_matching_respects_node_weight_cap_and_marks():
    adj = _csr([(0, 1), (1, 2)], 3)
    heavy = np.array([1, 1, 3])
    partner = structural_similarity_matching(adj, heavy, np.zeros(3, dtype=bool), max_node_weight=3)
    assert partner[2] == -1  # 1 + 3 > 3
    assert partner[0] == 1 and partner[1] == 0
    marked = np.array([True, False, False])
    partner = structural_similarity_matching(adj, np.ones(3, dtype=np.int64), marked)
    assert partner[0] == -1 and partner[1] == 2


def _is_partition(assignment, n_fine, n_coarse):
    dense = assignment.to_dense()
    return (dense.shape == (n_fine, n_coarse) and set(dense.unique().tolist()) <= {0.0, 1.0}
            and bool((dense.sum(1) == 1).all()) and bool((dense.sum(0) >= 1).all()))


def test_hierarchy_levels_are_valid_partitions():
    generator = torch.Generator().manual_seed(0)
    n = 40
    edges = torch.randint(0, n, (2, 120), generator=generator)
    edges = edges[:, edges[0] != edges[1]]
    edge_index = to_undirected(edges, num_nodes=n)
    hierarchy = coarsening_hierarchy(edge_index, n, num_levels=3)
    assert hierarchy.num_levels == 3 and hierarchy.num_nodes[0] == n
    for level in range(3):
        fine, coarse = hierarchy.num_nodes[level], hierarchy.num_nodes[level + 1]
        assert coarse < fine
        assert _is_partition(hierarchy.assignment[level], fine, coarse)
        # node weights add up, pooling rows have unit norm
        assert int(hierarchy.node_weight[level + 1].sum()) == n
        pool = hierarchy.pooling[level].to_dense()
        assert torch.allclose(pool.norm(dim=1), torch.ones(coarse), atol=1e-6)
        adjacency = hierarchy.adjacency[level].to_dense()
        assert torch.allclose(adjacency, adjacency.t(), atol=1e-6)


def test_coarsen_once_merges_equivalent_and_pairs():
    # star-like: 0, 1 equivalent (both see 2, 3); 2-3 also joined; 4 hangs off 3
    adj = _csr([(0, 2), (0, 3), (1, 2), (1, 3), (2, 3), (3, 4)], 5)
    cluster = coarsen_once(adj, np.ones(5, dtype=np.int64))
    assert cluster[0] == cluster[1]
    assert len(set(cluster.tolist())) < 5
    assert cluster.min() == 0 and cluster.max() == len(set(cluster.tolist())) - 1


def test_refinement_returns_every_node_and_gradients_flow():
    torch.manual_seed(0)
    n = 30
    edge_index = _undirected([(i, (i + 1) % n) for i in range(n)] + [(i, (i + 7) % n) for i in range(n)], n)
    hierarchy = coarsening_hierarchy(edge_index, n, num_levels=2)
    model = HierarchicalGCN(8, 16, 3, num_levels=2, p=0.5)
    x = torch.rand(n, 8)
    out = model(x, hierarchy)
    assert out.shape == (n, 3)
    out.sum().backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name
    # sparse input gives the same output as dense input in eval mode
    model.eval()
    assert torch.allclose(model(x, hierarchy), model(x.to_sparse_csr(), hierarchy), atol=1e-5)


def test_hierarchical_gcn_repr_and_reset_and_errors():
    model = HierarchicalGCN(8, 16, 3, num_levels=2)
    assert repr(model) == "HierarchicalGCN(8, 16, 3, num_levels=2, num_channels=4, p=0.6)"
    before = model.output_layer.weight.detach().clone()
    model.reset_parameters()
    assert not torch.equal(before, model.output_layer.weight)
    with pytest.raises(ValueError):
        HierarchicalGCN(8, 16, 3, p=1.0)
    n = 10
    edge_index = _undirected([(i, (i + 1) % n) for i in range(n)], n)
    hierarchy = coarsening_hierarchy(edge_index, n, num_levels=3)
    with pytest.raises(ValueError, match="levels"):
        model(torch.rand(n, 8), hierarchy)
    with pytest.raises(ValueError, match="shape"):
        HierarchicalGCN(8, 16, 3, num_levels=3)(torch.rand(n, 5), hierarchy)


def test_coarsening_rejects_bad_graphs():
    with pytest.raises(ValueError, match="undirected"):
        coarsening_hierarchy(torch.tensor([[0], [1]]), 2, 1)
    with pytest.raises(ValueError, match="outside"):
        coarsening_hierarchy(torch.tensor([[0, 5], [5, 0]]), 3, 1)
    with pytest.raises(ValueError, match="empty"):
        coarsening_hierarchy(torch.zeros(2, 0, dtype=torch.long), 0, 1)
    with pytest.raises(ValueError, match="num_levels"):
        coarsening_hierarchy(torch.tensor([[0, 1], [1, 0]]), 2, 0)


def test_hierarchy_on_cora_is_deterministic_and_consistent(data_root):
    from graphcl.data import load_planetoid

    data = load_planetoid("Cora")
    first = coarsening_hierarchy(data.edge_index, data.num_nodes, num_levels=4)
    second = coarsening_hierarchy(data.edge_index, data.num_nodes, num_levels=4)
    assert first.num_nodes == second.num_nodes
    assert first.num_nodes[0] == 2708 and all(a > b for a, b in zip(first.num_nodes, first.num_nodes[1:]))
    for a, b in zip(first.cluster, second.cluster):
        assert torch.equal(a, b)
    # every level: a partition of the level below, node weights add up, and the coarse graph is C^T A C
    adjacency = torch.sparse_coo_tensor(data.edge_index, torch.ones(data.edge_index.size(1)),
                                        (2708, 2708)).coalesce().to_dense()
    for level in range(4):
        fine, coarse = first.num_nodes[level], first.num_nodes[level + 1]
        cluster = first.cluster[level]
        assert cluster.shape == (fine,) and set(cluster.unique().tolist()) == set(range(coarse))
        assignment = torch.zeros(fine, coarse)
        assignment[torch.arange(fine), cluster] = 1.0
        assert torch.equal(first.assignment[level].to_dense(), assignment)
        assert int(first.node_weight[level + 1].sum()) == 2708
        adjacency = assignment.t() @ adjacency @ assignment
        with_loops = adjacency + torch.eye(coarse)
        inv_sqrt = with_loops.sum(1).rsqrt()
        normalized = inv_sqrt[:, None] * with_loops * inv_sqrt[None, :]
        assert torch.allclose(first.adjacency[level + 1].to_dense(), normalized, atol=1e-6)
