import pytest
import torch
from torch_geometric.data import Batch, Data

from graphcl.methods import FeatureSum, UntrainedEncoder
from graphcl.nn import GINEncoder


def _batch():
    generator = torch.Generator().manual_seed(0)
    graphs = [Data(x=torch.rand(n, 3, generator=generator),
                   edge_index=torch.tensor([[0, 1], [1, 0]])) for n in (2, 4, 3)]
    return Batch.from_data_list(graphs), graphs


def test_feature_sum_is_per_graph_sum():
    batch, graphs = _batch()
    expected = torch.stack([torch.tensor([sum(float(row[c]) for row in g.x) for c in range(3)]) for g in graphs])
    assert torch.allclose(FeatureSum().embed(batch), expected, atol=1e-6)
    with pytest.raises(RuntimeError, match="nothing to train"):
        FeatureSum().loss(batch)


def test_untrained_encoder_embeds_at_initialisation():
    torch.manual_seed(0)
    batch, _ = _batch()
    encoder = GINEncoder(3, 8, num_layers=2)
    reference = UntrainedEncoder(encoder)
    state = {key: value.clone() for key, value in encoder.state_dict().items()}
    embedding = reference.embed(batch)
    encoder.eval()
    assert torch.allclose(embedding, encoder(batch).graph)
    # embedding changes nothing (eval mode: batch-norm statistics stay at their initial values)
    assert all(torch.equal(state[key], value) for key, value in encoder.state_dict().items())
    with pytest.raises(RuntimeError, match="without training"):
        reference.loss(batch)
