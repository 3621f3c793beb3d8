import math

import pytest
import torch
import torch.nn.functional as F

from graphcl.eval import linear_probe


def separable(n_per_class=40, classes=3, dim=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(classes).repeat_interleave(n_per_class)
    z = torch.randn(len(y), dim, generator=g) * 0.1
    z[torch.arange(len(y)), y] += 3.0
    order = torch.randperm(len(y), generator=g)
    return z[order], y[order]


def masks(n, train=30, val=30):
    index = torch.arange(n)
    return index < train, (index >= train) & (index < train + val), index >= train + val


def test_separable_embeddings_are_classified_perfectly():
    z, y = separable()
    train, val, test = masks(len(y))
    result = linear_probe(z, y, train, val, test, runs=10, generator=torch.Generator().manual_seed(0))
    assert result.test_mean == 1.0 and result.val_mean == 1.0 and result.test_std == 0.0
    assert len(result.test_accuracies) == 10 and "100.00" in str(result)


def test_batched_runs_equal_separate_classifiers():
    """Each of the batched classifiers follows exactly the single-classifier recipe of DGI's code."""
    z, y = separable(classes=4, dim=6, seed=1)
    z = z + 2.0 * torch.randn(z.shape, generator=torch.Generator().manual_seed(9))  # not separable any more
    train, val, test = masks(len(y), train=40)
    runs, steps = 3, 100
    result = linear_probe(z, y, train, val, test, runs=runs, steps=steps,
                          generator=torch.Generator().manual_seed(7))
    g = torch.Generator().manual_seed(7)
    bound = math.sqrt(6.0 / (6 + 4))
    weights = (torch.rand(runs, 6, 4, generator=g) * 2 - 1) * bound
    for run in range(runs):
        linear = torch.nn.Linear(6, 4)
        with torch.no_grad():
            linear.weight.copy_(weights[run].t())
            linear.bias.zero_()
        optimizer = torch.optim.Adam(linear.parameters(), lr=0.01, weight_decay=0.0)
        for _ in range(steps):
            optimizer.zero_grad()
            F.cross_entropy(linear(z[train]), y[train]).backward()
            optimizer.step()
        accuracy = (linear(z[test]).argmax(1) == y[test]).float().mean().item()
        assert result.test_accuracies[run] == pytest.approx(accuracy, abs=1e-6)


def test_index_masks_determinism_and_no_validation():
    z, y = separable()
    index = torch.arange(len(y))
    a = linear_probe(z, y, index[:20], None, index[60:], runs=4, generator=torch.Generator().manual_seed(3))
    b = linear_probe(z, y, index[:20], None, index[60:], runs=4, generator=torch.Generator().manual_seed(3))
    assert a.test_accuracies == b.test_accuracies and math.isnan(a.val_mean)


def test_bad_inputs():
    z, y = separable()
    train, val, test = masks(len(y))
    with pytest.raises(ValueError):
        linear_probe(z, y[:-1], train, val, test)
    with pytest.raises(ValueError, match="empty"):
        linear_probe(z, y, torch.zeros_like(train), val, test)
    with pytest.raises(ValueError):
        linear_probe(z, y, train[:-1], val, test)
    with pytest.raises(ValueError, match="outside"):
        linear_probe(z, y, torch.tensor([0, 1000]), val, test)
    bad = z.clone()
    bad[0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        linear_probe(bad, y, train, val, test)
    with pytest.raises(ValueError):
        linear_probe(z, y, train, val, test, runs=0)
