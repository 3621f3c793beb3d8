import math

import pytest
import torch

from graphcl.losses import LocalGlobalJensenShannonLoss, local_global_jensen_shannon_loss


def loop_reference(nodes, graphs, batch):
    """Every (node, graph) pair scored one by one: own graph positive, the others negative."""
    positives, negatives = [], []
    for i in range(nodes.size(0)):
        for g in range(graphs.size(0)):
            score = float(sum(float(a) * float(b) for a, b in zip(nodes[i], graphs[g])))
            (positives if g == int(batch[i]) else negatives).append(score)
    softplus = lambda v: math.log1p(math.exp(-abs(v))) + max(v, 0.0)  # noqa: E731
    expected_pos = sum(math.log(2) - softplus(-p) for p in positives) / len(positives)
    expected_neg = sum(softplus(n) - math.log(2) for n in negatives) / len(negatives)
    return expected_neg - expected_pos


@pytest.mark.parametrize("scale", [0.3, 4.0])
def test_local_global_matches_loop(scale):
    generator = torch.Generator().manual_seed(3)
    batch = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 2])
    nodes = scale * torch.randn(9, 5, generator=generator, dtype=torch.float64)
    graphs = scale * torch.randn(3, 5, generator=generator, dtype=torch.float64)
    expected = loop_reference(nodes, graphs, batch)
    assert float(local_global_jensen_shannon_loss(nodes, graphs, batch)) == pytest.approx(expected, abs=1e-9)
    assert float(LocalGlobalJensenShannonLoss()(nodes, graphs, batch)) == pytest.approx(expected, abs=1e-9)


def test_local_global_hand_value():
    # one node per graph, scores [[2, 0], [0, 2]]: positives 2 and 2, negatives 0 and 0
    nodes = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    graphs = torch.tensor([[2.0, 0.0], [0.0, 2.0]])
    softplus2 = math.log1p(math.exp(-2.0))
    expected = (math.log(2) - math.log(2)) - (math.log(2) - softplus2)
    assert float(local_global_jensen_shannon_loss(nodes, graphs, torch.tensor([0, 1]))) == pytest.approx(expected)


def test_local_global_rejects_bad_input():
    nodes, graphs = torch.randn(3, 4), torch.randn(2, 4)
    with pytest.raises(ValueError, match="at least 2 graphs"):
        local_global_jensen_shannon_loss(nodes, graphs[:1], torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="outside"):
        local_global_jensen_shannon_loss(nodes, graphs, torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match="channels"):
        local_global_jensen_shannon_loss(nodes, torch.randn(2, 5), torch.tensor([0, 1, 1]))
    with pytest.raises(ValueError, match="shape"):
        local_global_jensen_shannon_loss(nodes, graphs, torch.tensor([0, 1]))
