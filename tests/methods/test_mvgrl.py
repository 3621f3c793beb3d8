"""MVGRL (node level): loss against a dense computation, block sampling, embeddings, sparse diffusion use."""
import pytest
import torch
import torch.nn.functional as F

from graphcl.augment import PPRDiffusion
from graphcl.data.synthetic import sbm_graph
from graphcl.methods import MVGRL, build_mvgrl, train_full_batch
from graphcl.nn import GCNEncoder


def small_graph(num_nodes=30):
    data = sbm_graph(num_nodes, num_features=10, train_per_class=2, num_val=3, seed=4)
    data.x = data.x.abs()
    return data


def dense_views(data, alpha=0.2):
    n = data.num_nodes
    a = torch.zeros(n, n, dtype=torch.float64)
    a[data.edge_index[1], data.edge_index[0]] = 1.0
    a += torch.eye(n, dtype=torch.float64)
    d = a.sum(1).pow(-0.5)
    adj = d[:, None] * a * d[None, :]
    diff = alpha * torch.linalg.inv(torch.eye(n, dtype=torch.float64) - (1 - alpha) * adj)
    return adj.float(), diff.float()


def gcn(encoder, matrix, x):
    """One GCN layer with a given dense propagation matrix: PReLU(M X W + b)."""
    return encoder.activations[0](matrix @ (x @ encoder.weights[0]) + encoder.biases[0])


def bilinear(disc, h, s):
    return torch.stack([row @ disc.weight @ summary for row, summary in zip(h, s)]) + disc.bias


def reference_loss(model, data, adj, diff, perm, blocks=None, size=None):
    """MVGRL's objective written densely, block by block (official node/train.py)."""
    if blocks is None:
        blocks, size = [0], data.num_nodes
    scores_pos, scores_neg = [], []
    for start in blocks:
        x = data.x[start:start + size]
        a, s = adj[start:start + size, start:start + size], diff[start:start + size, start:start + size]
        local = perm[: size] if blocks == [0] else None
        shuffled = x[local] if local is not None else x[PERMS.pop(0)]
        h1, h2 = gcn(model.adjacency_encoder, a, x), gcn(model.diffusion_encoder, s, x)
        h3, h4 = gcn(model.adjacency_encoder, a, shuffled), gcn(model.diffusion_encoder, s, shuffled)
        c1 = torch.sigmoid(h1.mean(0)).expand_as(h1)
        c2 = torch.sigmoid(h2.mean(0)).expand_as(h2)
        disc = model.discriminator
        scores_pos += [bilinear(disc, h2, c1), bilinear(disc, h1, c2)]
        scores_neg += [bilinear(disc, h4, c1), bilinear(disc, h3, c2)]
    pos, neg = torch.cat(scores_pos), torch.cat(scores_neg)
    return F.binary_cross_entropy_with_logits(torch.cat([pos, neg]),
                                              torch.cat([torch.ones_like(pos), torch.zeros_like(neg)]))


PERMS: list = []


def make_model(seed=0, sample_size=None, num_samples=4):
    torch.manual_seed(seed)
    return MVGRL(GCNEncoder(10, 8, normalize=False), GCNEncoder(10, 8, normalize=False),
                 diffusion=PPRDiffusion(alpha=0.2, eps=1e-9), sample_size=sample_size, num_samples=num_samples,
                 generator=torch.Generator().manual_seed(7))


def test_full_graph_loss_matches_dense_reference():
    data = small_graph()
    model = make_model()
    loss = model.loss(data)
    perm = torch.randperm(data.num_nodes, generator=torch.Generator().manual_seed(7))
    adj, diff = dense_views(data)
    expected = reference_loss(model, data, adj, diff, perm)
    torch.testing.assert_close(loss, expected, atol=1e-5, rtol=1e-4)


def test_sampled_blocks_match_dense_slices():
    data = small_graph()
    model = make_model(sample_size=12, num_samples=3)
    loss = model.loss(data)
    # the draws the method makes: block starts, then a shuffle inside each block (row_permutation's keys)
    g = torch.Generator().manual_seed(7)
    starts = torch.randint(0, 30 - 12 + 1, (3,), generator=g).tolist()
    batch = torch.arange(3).repeat_interleave(12)
    keys = batch.double() + torch.rand(36, generator=g, dtype=torch.float64)
    order = torch.argsort(keys)
    PERMS.clear()
    PERMS.extend([order[b * 12:(b + 1) * 12] - b * 12 for b in range(3)])
    adj, diff = dense_views(data)
    expected = reference_loss(model, data, adj, diff, None, blocks=starts, size=12)
    torch.testing.assert_close(loss, expected, atol=1e-5, rtol=1e-4)


def test_embedding_is_sum_of_both_views_and_training_works():
    data = small_graph()
    model = make_model()
    adj, diff = dense_views(data)
    expected = gcn(model.adjacency_encoder, adj, data.x) + gcn(model.diffusion_encoder, diff, data.x)
    torch.testing.assert_close(model.embed(data), expected.detach(), atol=1e-5, rtol=1e-4)
    result = train_full_batch(model, data, epochs=15, lr=0.01, patience=None, progress=False)
    assert result.best_loss < result.losses[0]


def test_diffusion_is_sparse_cached_and_validated():
    data = sbm_graph(200, num_features=10, seed=0)
    model = build_mvgrl(10, hidden_channels=8, eps=1e-2, top_k=5)
    first = model.views(data)
    assert first[2].size(1) <= 5 * 200
    assert model.views(data)[2] is first[2]  # computed once
    with pytest.raises(ValueError, match="normalize=False"):
        MVGRL(GCNEncoder(10, 8), GCNEncoder(10, 8, normalize=False))
    with pytest.raises(TypeError, match="project"):
        MVGRL(torch.nn.Linear(10, 8), GCNEncoder(10, 8, normalize=False))
