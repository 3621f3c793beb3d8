import pytest
import torch

from graphcl.nn import BilinearDiscriminator


def test_scores_are_bilinear_logits():
    torch.manual_seed(0)
    disc = BilinearDiscriminator(4)
    with torch.no_grad():
        disc.bias.fill_(0.3)
    h, s = torch.randn(5, 4), torch.randn(4)
    expected = torch.stack([h[i] @ disc.weight @ s for i in range(5)]) + 0.3
    torch.testing.assert_close(disc(h, s), expected)
    torch.testing.assert_close(disc(h, s[None]), expected)  # [1, d] summary
    per_node = torch.randn(5, 4)
    expected = torch.stack([h[i] @ disc.weight @ per_node[i] for i in range(5)]) + 0.3
    torch.testing.assert_close(disc(h, per_node), expected)


def test_matches_torch_bilinear_layer():
    torch.manual_seed(0)
    disc = BilinearDiscriminator(6)
    bilinear = torch.nn.Bilinear(6, 6, 1)
    with torch.no_grad():
        bilinear.weight.copy_(disc.weight[None])
        bilinear.bias.copy_(disc.bias)
    h, s = torch.randn(3, 6), torch.randn(6)
    torch.testing.assert_close(disc(h, s), bilinear(h, s.expand_as(h)).squeeze(-1))


def test_reset_parameters_repr_and_errors():
    disc = BilinearDiscriminator(8)
    with torch.no_grad():
        disc.bias.fill_(1.0)
    disc.reset_parameters()
    assert disc.bias.item() == 0 and disc.weight.abs().max() <= (6 / 72) ** 0.5
    assert repr(disc) == "BilinearDiscriminator(8)"
    with pytest.raises(ValueError):
        disc(torch.randn(3, 7), torch.randn(8))
    with pytest.raises(ValueError):
        disc(torch.randn(3, 8), torch.randn(2, 8))
