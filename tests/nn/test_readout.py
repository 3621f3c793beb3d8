import pytest
import torch

from graphcl.nn import READOUTS, resolve_readout


def test_readouts_per_graph():
    x = torch.tensor([[1.0, -2.0], [3.0, 4.0], [5.0, 0.0]])
    batch = torch.tensor([0, 0, 1])
    assert torch.equal(resolve_readout("mean")(x, batch), torch.tensor([[2.0, 1.0], [5.0, 0.0]]))
    assert torch.equal(resolve_readout("sum")(x, batch), torch.tensor([[4.0, 2.0], [5.0, 0.0]]))
    assert torch.equal(resolve_readout("max")(x, batch), torch.tensor([[3.0, 4.0], [5.0, 0.0]]))
    torch.testing.assert_close(resolve_readout("sigmoid_mean")(x, batch),
                               torch.sigmoid(torch.tensor([[2.0, 1.0], [5.0, 0.0]])))


def test_single_graph_gives_one_row():
    x = torch.randn(7, 3)
    assert resolve_readout("sigmoid_mean")(x).shape == (1, 3)
    torch.testing.assert_close(resolve_readout("mean")(x)[0], x.mean(0))


def test_resolver():
    assert set(READOUTS) == {"mean", "sum", "max", "sigmoid_mean"}
    assert resolve_readout("MEAN") is READOUTS["mean"]
    custom = lambda x, batch=None, size=None: x[:1]  # noqa: E731
    assert resolve_readout(custom) is custom
    with pytest.raises(ValueError, match="unknown readout"):
        resolve_readout("median")


def test_empty_graph_raises():
    with pytest.raises(ValueError, match="no nodes"):
        resolve_readout("mean")(torch.zeros(0, 4))
