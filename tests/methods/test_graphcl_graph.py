import pytest
import torch
from torch_geometric.data import Batch, Data

from graphcl.augment import Identity
from graphcl.methods.graphcl_graph import GRAPHCL_AUGMENTATION_MODES, GraphCL, augment_per_graph
from graphcl.nn.gin import GINEncoder

from .training_steps import adam_steps


def _dataset(num_graphs=24, seed=0):
    """Two classes of small graphs: paths and dense random graphs, with 3 features."""
    generator = torch.Generator().manual_seed(seed)
    graphs = []
    for index in range(num_graphs):
        n = int(torch.randint(5, 10, (1,), generator=generator))
        if index % 2:
            edge_index = torch.stack([torch.arange(n - 1), torch.arange(1, n)])
        else:
            edge_index = torch.randint(0, n, (2, 3 * n), generator=generator)
        edge_index = torch.cat([edge_index, edge_index.flip(0)], dim=1)
        graphs.append(Data(x=torch.rand(n, 3, generator=generator), edge_index=edge_index,
                           y=torch.tensor([index % 2])))
    return graphs


def test_per_graph_choice_keeps_graph_order():
    batch = Batch.from_data_list(_dataset(10))
    tagged = batch.clone()
    tagged.x = torch.cat([batch.batch.float().unsqueeze(1), batch.x[:, 1:]], dim=1)

    class Marker(Identity):
        def __init__(self, value):
            super().__init__()
            self.value = value

        def forward(self, data):
            out = data.clone()
            out.x = out.x.clone()
            out.x[:, 1] = self.value
            return out

    out = augment_per_graph(tagged, [Marker(1.0), Marker(2.0)], torch.Generator().manual_seed(3))
    assert out.num_graphs == 10
    assert torch.equal(out.batch, batch.batch)
    # every node still belongs to the graph it came from, and the edges are the same edges
    assert torch.equal(out.x[:, 0], batch.batch.float())
    assert sorted(map(tuple, out.edge_index.t().tolist())) == sorted(map(tuple, batch.edge_index.t().tolist()))
    assert set(out.x[:, 1].tolist()) == {1.0, 2.0}
    assert torch.equal(out.y, batch.y)


@pytest.mark.parametrize("mode", sorted(GRAPHCL_AUGMENTATION_MODES))
def test_every_official_mode_gives_a_finite_loss(mode):
    torch.manual_seed(0)
    model = GraphCL(GINEncoder(3, 16, 2), augmentation=mode, generator=torch.Generator().manual_seed(0))
    loss = model.loss(Batch.from_data_list(_dataset(8)))
    assert loss.dim() == 0 and torch.isfinite(loss)


def test_loss_decreases_over_a_few_steps():
    torch.manual_seed(0)
    model = GraphCL(GINEncoder(3, 16, 2), augmentation="random2", generator=torch.Generator().manual_seed(0))
    batch = Batch.from_data_list(_dataset(24))
    losses = adam_steps(model, batch)
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3


def test_embed_returns_encoder_embeddings_without_projection():
    model = GraphCL(GINEncoder(3, 16, 2))
    batch = Batch.from_data_list(_dataset(6))
    model.train()
    embedding = model.embed(batch)
    assert model.training  # mode restored
    assert embedding.shape == (6, 32) and not embedding.requires_grad
    model.eval()
    assert torch.allclose(embedding, model.encoder(batch).graph)


def test_pluggable_loss_and_selectable_denominator():
    calls = []

    def cosine_loss(z1, z2):
        calls.append(z1.shape)
        return 1 - torch.nn.functional.cosine_similarity(z1, z2).mean()

    batch = Batch.from_data_list(_dataset(6))
    model = GraphCL(GINEncoder(3, 16, 2), loss=cosine_loss)
    assert torch.isfinite(model.loss(batch)) and calls == [torch.Size([6, 32])]
    simclr = GraphCL(GINEncoder(3, 16, 2), exclude_positive=False)
    assert simclr.loss_fn.exclude_positive is False


def test_determinism_with_generator():
    batch = Batch.from_data_list(_dataset(8))
    values = []
    for _ in range(2):
        torch.manual_seed(1)
        model = GraphCL(GINEncoder(3, 16, 2), augmentation="random4", generator=torch.Generator().manual_seed(5))
        values.append(float(model.loss(batch)))
    assert values[0] == values[1]


def test_bad_arguments():
    with pytest.raises(ValueError, match="mode"):
        GraphCL(GINEncoder(3), augmentation="random9")
    with pytest.raises(ValueError, match="unknown augmentation"):
        GraphCL(GINEncoder(3), augmentation=["rotate"])
    with pytest.raises(TypeError, match="out_channels"):
        GraphCL(torch.nn.Linear(3, 3))
    with pytest.raises(TypeError, match="callable"):
        GraphCL(GINEncoder(3), loss="nt_xent")
    with pytest.raises(ValueError):
        GraphCL(GINEncoder(3), p=1.5)
