"""The composition examples of docs/compose.md run as written, and do what they say."""
import math
import re
from pathlib import Path

import pytest
import torch

from graphcl.augment import DropEdges, MaskAttributes, SubstructureSubstitution
from graphcl.augment.node_drop import DropNodes
from graphcl.losses import TWO_VIEW_LOSSES, DebiasedContrastiveLoss
from graphcl.nn import GINEncoder

DOC = Path(__file__).resolve().parents[2] / "docs" / "compose.md"


def _examples() -> dict[str, str]:
    text = DOC.read_text()
    sections = re.split(r"^## ", text, flags=re.M)[1:]
    found = {}
    for section in sections:
        title, _, body = section.partition("\n")
        blocks = re.findall(r"```python\n(.*?)```", body, flags=re.S)
        assert len(blocks) == 1, f"section {title!r} should hold one example"
        found[title.strip()] = blocks[0]
    return found


def _run(title_start: str) -> dict:
    matches = [code for title, code in _examples().items() if title.startswith(title_start)]
    assert len(matches) == 1, f"no single example titled {title_start!r} in {DOC}"
    namespace: dict = {}
    exec(compile(matches[0], str(DOC), "exec"), namespace)
    return namespace


def _graphcl_nt_xent(z1, z2, temperature):
    """GraphCL's official NT-Xent by hand: cosine similarities, positive on the diagonal, left out of the
    denominator, anchors from the first view."""
    rows = []
    for i in range(z1.size(0)):
        sims = [torch.dot(z1[i], z2[j]) / (z1[i].norm() * z2[j].norm()) / temperature for j in range(z2.size(0))]
        negatives = torch.stack([s for j, s in enumerate(sims) if j != i])
        rows.append(torch.logsumexp(negatives, 0) - sims[i])
    return torch.stack(rows).mean()


def test_docs_hold_the_four_examples():
    titles = list(_examples())
    assert len(titles) == 4
    for start in ("GraphCL on molecules", "DGI with a GIN", "GraphCL with any loss", "JOAO with a custom"):
        assert any(t.startswith(start) for t in titles), start


def test_graphcl_with_substructure_substitution():
    ns = _run("GraphCL on molecules")
    method, batch, substitution = ns["method"], ns["batch"], ns["substitution"]
    assert method.transforms[0] is substitution
    assert substitution.stats["molecules"] > 0  # some molecules drew the substitution
    assert all(p.grad is not None for p in method.encoder.parameters() if p.requires_grad)
    # replay the two views with the same generator state and recompute the loss by hand
    ns["generator"].manual_seed(0)
    first, second = method.views(batch)
    assert first.num_graphs == second.num_graphs == batch.num_graphs == 8
    z1, z2 = method.project(first), method.project(second)
    torch.testing.assert_close(ns["loss"], _graphcl_nt_xent(z1, z2, 0.2))
    assert [g.num_nodes > 0 for g in second.to_data_list()] == [True] * 8


def test_dgi_with_gin_encoder():
    ns = _run("DGI with a GIN")
    method, result, embeddings = ns["method"], ns["result"], ns["embeddings"]
    assert isinstance(method.encoder, GINEncoder) and method.config["encoder"]["class"] == "GINEncoder"
    assert embeddings.shape == (120, 128) and not embeddings.requires_grad
    assert len(result.losses) == 40
    assert min(result.losses[-5:]) < 0.2 * min(result.losses[0], math.log(2))  # it learned to discriminate


def test_graphcl_with_any_loss():
    ns = _run("GraphCL with any loss")
    losses = ns["losses"]
    assert set(losses) == {"debiased", *TWO_VIEW_LOSSES}
    assert all(torch.isfinite(value) and value.requires_grad for value in losses.values())
    # the debiased loss is the module given, not NT-Xent
    method = ns["method"].__class__(GINEncoder(8, 32), loss=DebiasedContrastiveLoss(temperature=0.2, tau_plus=0.1))
    assert isinstance(method.loss_fn, DebiasedContrastiveLoss)


def test_joao_with_custom_pool():
    ns = _run("JOAO with a custom")
    method, probabilities = ns["method"], ns["probabilities"]
    assert method.augmentation_names == ("node_drop", "edge_drop", "attr_mask")
    assert isinstance(method.transforms[0], DropNodes) and isinstance(method.transforms[1], DropEdges)
    assert isinstance(method.transforms[2], MaskAttributes)
    assert probabilities.shape == (9,) and float(probabilities.sum()) == pytest.approx(1.0)
    assert float((probabilities - 1 / 9).abs().sum()) > 1e-3  # the pair distribution was updated
    assert len(ns["result"].history) == 2 and "aug_probs" in ns["result"].history[-1]
