import math
import sys

import pytest
import torch

from graphcl.eval import alignment, plot_embeddings, uniformity


def _reference_alignment(z1, z2, alpha):
    z1, z2 = z1.double(), z2.double()
    values = [float((z1[i] / z1[i].norm() - z2[i] / z2[i].norm()).norm()) ** alpha for i in range(z1.size(0))]
    return sum(values) / len(values)


def _reference_uniformity(z, t):
    z = z.double() / z.double().norm(dim=1, keepdim=True)
    n = z.size(0)
    values = [math.exp(-t * float((z[i] - z[j]).pow(2).sum())) for i in range(n) for j in range(i + 1, n)]
    return math.log(sum(values) / len(values))


@pytest.mark.parametrize("n,dim", [(2, 3), (17, 8), (40, 64)])
@pytest.mark.parametrize("param", [1.0, 2.0, 3.0])
def test_match_reference(n, dim, param):
    generator = torch.Generator().manual_seed(n + dim)
    z1, z2 = torch.randn(n, dim, generator=generator), torch.randn(n, dim, generator=generator)
    assert float(alignment(z1, z2, alpha=param)) == pytest.approx(_reference_alignment(z1, z2, param), abs=1e-5)
    expected = _reference_uniformity(z1, param)
    assert float(uniformity(z1, t=param)) == pytest.approx(expected, abs=1e-5)
    assert float(uniformity(z1, t=param, chunk_size=5)) == pytest.approx(expected, abs=1e-5)


def test_collapsed_and_spread_values():
    point = torch.randn(1, 16)
    collapsed = point.repeat(50, 1) * torch.rand(50, 1).add(0.5)  # same direction, different norms
    assert float(uniformity(collapsed)) == pytest.approx(0.0, abs=1e-5)
    assert float(alignment(collapsed, collapsed)) == pytest.approx(0.0, abs=1e-6)
    spread = torch.randn(2000, 128, generator=torch.Generator().manual_seed(0))
    # on a high-dimensional sphere almost every pair sits at squared distance ~2: uniformity ~ -2t
    assert -4.1 < float(uniformity(spread)) < -3.8
    assert float(alignment(spread[:10], -spread[:10])) == pytest.approx(4.0, rel=1e-6)


def test_uniformity_is_differentiable():
    z = torch.randn(10, 4, requires_grad=True)
    uniformity(z).backward()
    assert torch.isfinite(z.grad).all() and z.grad.abs().sum() > 0


def test_bad_input_raises():
    with pytest.raises(ValueError, match="at least 2"):
        uniformity(torch.randn(1, 3))
    with pytest.raises(ValueError, match="t must be"):
        uniformity(torch.randn(5, 3), t=0)
    with pytest.raises(ValueError, match="same shape"):
        alignment(torch.randn(5, 3), torch.randn(4, 3))
    with pytest.raises(ValueError, match="alpha"):
        alignment(torch.randn(5, 3), torch.randn(5, 3), alpha=-1)


def test_plot_writes_png(tmp_path):
    pytest.importorskip("matplotlib")
    z = torch.randn(30, 8)
    labels = torch.arange(30) % 3
    path = plot_embeddings(z, tmp_path / "emb.png", labels=labels)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="png"):
        plot_embeddings(z, tmp_path / "emb.jpg")
    with pytest.raises(ValueError, match="labels"):
        plot_embeddings(z, tmp_path / "emb.png", labels=labels[:5])


def test_plot_without_matplotlib_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"graphcl\[plot\]"):
        plot_embeddings(torch.randn(5, 3), tmp_path / "emb.png")
    assert not (tmp_path / "emb.png").exists()
