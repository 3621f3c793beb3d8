"""DGI and node-level GraphCL on neighbour-sampled subgraphs: only the seed nodes are scored."""
import torch
import torch.nn.functional as F
from torch_geometric.data import Data

from graphcl.data.neighbor_sampler import neighbor_loader
from graphcl.methods import DGI, NodeGraphCL
from graphcl.methods.dgi import seed_count


def sampled_batch():
    generator = torch.Generator().manual_seed(0)
    data = Data(x=torch.randn(30, 4, generator=generator),
                edge_index=torch.randint(0, 30, (2, 120), generator=generator), num_nodes=30)
    loader = neighbor_loader(data, [3, 3], batch_size=5, generator=torch.Generator().manual_seed(1),
                             backend="torch")
    return data, next(iter(loader))


def test_dgi_scores_the_seeds_against_their_summary():
    _, batch = sampled_batch()
    assert seed_count(batch) == 5 and batch.num_nodes > 5
    method = DGI(4, 6, num_layers=2, generator=torch.Generator().manual_seed(2))
    replay = torch.Generator().manual_seed(2)
    loss = method.loss(batch)
    # by hand: shuffle all sampled rows, encode both graphs, keep the 5 seeds
    perm = torch.randperm(batch.num_nodes, generator=replay)
    h = method.encoder(Data(x=batch.x, edge_index=batch.edge_index)).node[:5]
    h_neg = method.encoder(Data(x=batch.x[perm], edge_index=batch.edge_index)).node[:5]
    summary = torch.sigmoid(h.mean(dim=0))
    w, b = method.discriminator.weight, method.discriminator.bias
    pos = torch.stack([h[i] @ w @ summary for i in range(5)]) + b
    neg = torch.stack([h_neg[i] @ w @ summary for i in range(5)]) + b
    expected = (F.softplus(-pos).sum() + F.softplus(neg).sum()) / 10
    assert torch.allclose(loss, expected.squeeze(), atol=1e-5)


def test_whole_graph_is_not_a_sampled_batch():
    data, _ = sampled_batch()
    assert seed_count(data) is None


def test_node_graphcl_trains_on_sampled_batches():
    data, _ = sampled_batch()
    method = NodeGraphCL(4, 6, num_layers=2, generator=torch.Generator().manual_seed(0))
    optimizer = torch.optim.Adam(method.parameters(), lr=0.01)
    loader = neighbor_loader(data, [3, 3], batch_size=10, generator=torch.Generator().manual_seed(1),
                             backend="torch")
    for batch in loader:
        optimizer.zero_grad()
        loss = method.loss(batch)
        assert torch.isfinite(loss)
        loss.backward()
        optimizer.step()


def test_trimmed_seed_forward_equals_the_full_subgraph_forward():
    _, batch = sampled_batch()
    torch.manual_seed(0)
    from graphcl.nn import GCNEncoder

    for layers in (1, 2):
        encoder = GCNEncoder(4, 6, num_layers=layers)
        full = encoder(Data(x=batch.x, edge_index=batch.edge_index)).node[:batch.batch_size]
        trimmed = encoder.forward_sampled(batch.x, batch.edge_index, batch.num_sampled_nodes)
        assert trimmed.shape == (5, 6) and torch.allclose(trimmed, full, atol=1e-5)


def test_whole_graph_degrees_reproduce_the_inference_operator():
    # all neighbours sampled over two hops: the seeds' embeddings equal the whole-graph forward pass
    data, _ = sampled_batch()
    data.in_degree = torch.bincount(data.edge_index[1][data.edge_index[0] != data.edge_index[1]], minlength=30)
    loader = neighbor_loader(data, [-1, -1], batch_size=6, shuffle=False, backend="torch")
    torch.manual_seed(0)
    from graphcl.nn import GCNEncoder

    encoder = GCNEncoder(4, 6, num_layers=2)
    whole = encoder(data).node
    for batch in loader:
        seeds = batch.n_id[:batch.batch_size]
        trimmed = encoder.forward_sampled(batch.x, batch.edge_index, batch.num_sampled_nodes, batch.in_degree)
        assert torch.allclose(trimmed, whole[seeds], atol=1e-5)
