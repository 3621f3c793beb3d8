import pytest
import torch

import loss_reference as reference
from graphcl.losses import BYOLLoss, MomentumQueue, SimSiamLoss, byol_loss, info_nce_loss, simsiam_loss


def test_queue_is_fifo_and_bounded():
    queue = MomentumQueue(size=5, dim=2)
    assert len(queue) == 0 and queue() is None
    queue.enqueue(torch.arange(6.0).view(3, 2))          # rows 0, 1, 2
    assert torch.equal(queue(), torch.arange(6.0).view(3, 2))
    queue.enqueue(torch.arange(6.0, 14.0).view(4, 2))     # rows 3..6: rows 0, 1 fall out
    assert len(queue) == 5
    assert torch.equal(queue(), torch.arange(4.0, 14.0).view(5, 2))
    oldest = queue.dequeue(2)
    assert torch.equal(oldest, torch.tensor([[4.0, 5.0], [6.0, 7.0]]))
    assert torch.equal(queue(), torch.arange(8.0, 14.0).view(3, 2))
    queue.enqueue(torch.arange(100.0, 120.0).view(10, 2))  # more than capacity: keep the last 5
    assert torch.equal(queue(), torch.arange(110.0, 120.0).view(5, 2))
    queue.reset_parameters()
    assert len(queue) == 0


def test_queue_stores_detached_keys_in_state_dict():
    queue = MomentumQueue(size=3, dim=4)
    keys = torch.randn(2, 4, requires_grad=True)
    queue.enqueue(keys)
    assert not queue().requires_grad
    restored = MomentumQueue(size=3, dim=4)
    restored.load_state_dict(queue.state_dict())
    assert torch.equal(restored(), queue()) and len(restored) == 2
    assert repr(queue) == "MomentumQueue(size=3, dim=4)"


def test_queue_rejects_bad_input():
    with pytest.raises(ValueError, match="size"):
        MomentumQueue(size=0, dim=3)
    queue = MomentumQueue(size=3, dim=4)
    with pytest.raises(ValueError, match="dimension"):
        queue.enqueue(torch.randn(2, 5))
    with pytest.raises(ValueError, match="dequeue"):
        queue.dequeue(1)


@pytest.mark.parametrize("batch", [2, 5, 16])
@pytest.mark.parametrize("dim", [3, 32])
@pytest.mark.parametrize("temperature", [0.07, 0.2, 1.0])
def test_info_nce_matches_reference(batch, dim, temperature):
    generator = torch.Generator().manual_seed(batch * dim)
    query = torch.randn(batch, dim, generator=generator, requires_grad=True)
    key = torch.randn(batch, dim, generator=generator)
    negatives = torch.randn(7, dim, generator=generator)
    expected = reference.info_nce(query.detach(), key, negatives, temperature)
    loss = info_nce_loss(query, key, negatives, temperature)
    assert loss.item() == pytest.approx(expected, abs=1e-5, rel=1e-5)
    in_batch = reference.info_nce(query.detach(), key, None, temperature)
    assert info_nce_loss(query.detach(), key, None, temperature).item() == pytest.approx(in_batch, abs=1e-5, rel=1e-5)
    loss.backward()
    assert torch.isfinite(query.grad).all()


@pytest.mark.parametrize("batch", [1, 4, 16])
@pytest.mark.parametrize("dim", [3, 32])
def test_regression_losses_match_reference_and_stop_gradient(batch, dim):
    generator = torch.Generator().manual_seed(batch + dim)
    prediction = torch.randn(batch, dim, generator=generator, requires_grad=True)
    target = torch.randn(batch, dim, generator=generator, requires_grad=True)
    loss = byol_loss(prediction, target)
    assert loss.item() == pytest.approx(reference.byol(prediction.detach(), target.detach()), abs=1e-5)
    assert float(simsiam_loss(prediction, target)) == pytest.approx(
        reference.simsiam(prediction.detach(), target.detach()), abs=1e-5)
    (loss + simsiam_loss(prediction, target)).backward()
    assert torch.isfinite(prediction.grad).all()
    assert target.grad is None  # the target branch receives no gradient


def test_regression_losses_range():
    z = torch.randn(6, 5)
    assert float(byol_loss(z, 2 * z)) == pytest.approx(0.0, abs=1e-6)
    assert float(byol_loss(z, -z)) == pytest.approx(4.0, abs=1e-6)
    assert float(SimSiamLoss()(z, z)) == pytest.approx(-1.0, abs=1e-6)
    assert float(BYOLLoss()(z, z)) == pytest.approx(0.0, abs=1e-6)
