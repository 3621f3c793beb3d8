import pytest
import torch

from graphcl.nn import ProjectionHead


def test_shapes_and_layers():
    head = ProjectionHead(16, 32, 8, num_layers=3, batch_norm=True)
    assert head(torch.randn(5, 16)).shape == (5, 8)
    linears = [m for m in head.mlp if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(16, 32), (32, 32), (32, 8)]
    assert repr(head) == "ProjectionHead(16, 32, 8, num_layers=3)"


def test_single_layer_is_linear():
    head = ProjectionHead(4, 99, 3, num_layers=1)
    linear = head.mlp[0]
    x = torch.randn(2, 4)
    torch.testing.assert_close(head(x), linear(x))


def test_reset_parameters_changes_weights_and_errors():
    torch.manual_seed(0)
    head = ProjectionHead(4, 8, 2)
    before = head.mlp[0].weight.clone()
    head.reset_parameters()
    assert not torch.equal(before, head.mlp[0].weight)
    with pytest.raises(ValueError):
        head(torch.randn(2, 5))
    with pytest.raises(ValueError):
        ProjectionHead(4, 8, 2, num_layers=0)
