import pytest
import torch
from torch_geometric.data import Batch

from graphcl.losses import jensen_shannon_loss
from graphcl.methods import NODE_AUGMENTATIONS, NodeGraphCL, make_node_augmentation, train_full_batch

from .test_dgi import sbm_graph


def test_loss_sums_the_two_summaries_logits():
    torch.manual_seed(0)
    data = sbm_graph()
    model = NodeGraphCL(24, 16, augmentation="node_drop", generator=torch.Generator().manual_seed(1))
    first, second = model.views(data)
    loss = model.loss(data)
    # the loss drew the permutation right after the (cached) views; replay it
    replay = torch.Generator().manual_seed(1)
    model.augmentation(data, replay), model.augmentation(data, replay)
    perm = torch.randperm(data.num_nodes, generator=replay)
    enc = model.encoder
    positive, negative = enc(data.x, data.edge_index).node, enc(data.x[perm], data.edge_index).node
    s1 = torch.sigmoid(enc(first.x, first.edge_index).node.mean(0))
    s2 = torch.sigmoid(enc(second.x, second.edge_index).node.mean(0))
    disc = model.discriminator
    pos = disc(positive, s1) + disc(positive, s2)
    neg = disc(negative, s1) + disc(negative, s2)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.cat([pos, neg]), torch.cat([torch.ones(90), torch.zeros(90)]))
    torch.testing.assert_close(loss, expected)


@pytest.mark.parametrize("augmentation", NODE_AUGMENTATIONS)
def test_every_augmentation_trains(augmentation):
    torch.manual_seed(0)
    data = sbm_graph()
    model = NodeGraphCL(24, 16, augmentation=augmentation, generator=torch.Generator().manual_seed(0))
    result = train_full_batch(model, data, epochs=20, lr=0.01, patience=None, progress=False)
    assert min(result.losses[-3:]) < result.losses[0]


def test_views_are_fixed_unless_resampled():
    data = sbm_graph()
    fixed = NodeGraphCL(24, 16, augmentation="subgraph")
    fixed.generator = torch.Generator().manual_seed(0)
    a = fixed.views(data)
    fixed.generator = torch.Generator().manual_seed(1)
    b = fixed.views(data)
    assert a[0] is b[0] and a[1] is b[1]
    assert a[0].num_nodes == 72  # 80 % of the nodes kept
    fresh = NodeGraphCL(24, 16, augmentation="edge_perturb", resample_views=True,
                        generator=torch.Generator().manual_seed(0))
    c = fresh.views(data)
    d = fresh.views(data)
    assert not torch.equal(c[0].edge_index, d[0].edge_index)


def test_custom_augmentation_loss_and_errors():
    data = sbm_graph()
    model = NodeGraphCL(24, 16, augmentation=lambda d, g=None: d, loss=jensen_shannon_loss)
    assert torch.isfinite(model.loss(data))
    assert "augmentation=subgraph(p=0.2)" in repr(NodeGraphCL(24, 16))
    with pytest.raises(ValueError, match="unknown augmentation"):
        make_node_augmentation("rotate")
    with pytest.raises(ValueError):
        make_node_augmentation("node_drop", 1.5)(data)
    with pytest.raises(ValueError, match="one graph"):
        model.loss(Batch.from_data_list([sbm_graph(0), sbm_graph(1)]))
