import pytest
import torch

from graphcl.losses import SupervisedContrastiveLoss, supervised_contrastive_loss
import loss_reference as reference


@pytest.mark.parametrize("batch", [3, 8, 20])
@pytest.mark.parametrize("dim", [4, 16])
@pytest.mark.parametrize("temperature", [0.1, 0.5, 1.0])
def test_matches_reference(batch, dim, temperature):
    generator = torch.Generator().manual_seed(batch * dim)
    z = torch.randn(batch, dim, generator=generator, requires_grad=True)
    labels = torch.randint(0, 3, (batch,), generator=generator)
    expected = reference.supervised_contrastive(z.detach(), labels, temperature)
    loss = supervised_contrastive_loss(z, labels, temperature)
    if expected is None:
        assert float(loss) == 0.0
    else:
        assert float(loss) == pytest.approx(expected, abs=1e-5, rel=1e-5)
    loss.backward()
    assert torch.isfinite(z.grad).all()


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_anchors_without_positives_are_left_out():
    z = torch.randn(5, 8, generator=seeded(1))
    labels = torch.tensor([0, 0, 1, 1, 2])  # label 2 has no positive
    expected = reference.supervised_contrastive(z, labels, 0.5)
    assert float(supervised_contrastive_loss(z, labels, 0.5)) == pytest.approx(expected, abs=1e-5)


def test_no_positive_at_all_gives_zero_with_gradient():
    z = torch.randn(4, 8, generator=seeded(2), requires_grad=True)
    loss = supervised_contrastive_loss(z, torch.arange(4))
    assert float(loss) == 0.0
    loss.backward()
    assert torch.equal(z.grad, torch.zeros_like(z))


def test_mask_selects_labelled_subset():
    generator = torch.Generator().manual_seed(0)
    z = torch.randn(10, 6, generator=generator)
    labels = torch.randint(0, 2, (10,), generator=generator)
    mask = torch.tensor([True, False] * 5)
    expected = reference.supervised_contrastive(z[mask], labels[mask], 0.3)
    got = SupervisedContrastiveLoss(temperature=0.3)(z, labels, mask)
    assert float(got) == pytest.approx(expected, abs=1e-5)


def test_class_clustered_embeddings_score_lower():
    labels = torch.tensor([0, 0, 0, 1, 1, 1])
    centres = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    generator = seeded(3)
    clustered = centres[labels] + 0.05 * torch.randn(6, 2, generator=generator)
    mixed = centres[1 - labels[torch.randperm(6, generator=generator)]] + torch.randn(6, 2, generator=generator)
    assert supervised_contrastive_loss(clustered, labels) < supervised_contrastive_loss(mixed, labels)


def test_bad_input_raises():
    z = torch.randn(4, 3, generator=seeded(4))
    with pytest.raises(ValueError, match="temperature"):
        SupervisedContrastiveLoss(temperature=0)
    with pytest.raises(ValueError, match="labels"):
        supervised_contrastive_loss(z, torch.zeros(3, dtype=torch.long))
    with pytest.raises(TypeError, match="integer"):
        supervised_contrastive_loss(z, torch.zeros(4))
    with pytest.raises(ValueError, match="mask"):
        supervised_contrastive_loss(z, torch.zeros(4, dtype=torch.long), mask=torch.ones(4))
    assert repr(SupervisedContrastiveLoss(0.5)) == "SupervisedContrastiveLoss(temperature=0.5)"
