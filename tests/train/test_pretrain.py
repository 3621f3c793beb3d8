import pytest
import torch

from graphcl.train import PretrainResult, pretrain
from graphcl.utils import load_checkpoint
from train_helpers import NoisyViews, random_graphs


def _state(method):
    return {k: v.clone() for k, v in method.state_dict().items()}


def test_pretrain_reduces_loss_and_records_history():
    torch.manual_seed(0)
    method = NoisyViews()
    result = pretrain(method, random_graphs(32), epochs=5, lr=1e-2, batch_size=8, progress=False, seed=1)
    assert isinstance(result, PretrainResult)
    assert [r["epoch"] for r in result.history] == [1, 2, 3, 4, 5]
    assert all(r["graphs"] == 32 for r in result.history)
    assert [r["epochs_seen"] for r in result.history] == [1, 2, 3, 4, 5]  # on_epoch_end hook ran
    assert result.losses[-1] < result.losses[0]
    assert result.seconds_per_epoch > 0


def test_same_seed_same_weights():
    states = []
    for _ in range(2):
        torch.manual_seed(0)
        method = NoisyViews()
        pretrain(method, random_graphs(16), epochs=2, batch_size=4, progress=False, seed=3)
        states.append(_state(method))
    for key in states[0]:
        assert torch.equal(states[0][key], states[1][key]), key


def test_resume_is_bitwise_identical(tmp_path):
    graphs = random_graphs(20)
    torch.manual_seed(0)
    straight = NoisyViews()
    full = pretrain(straight, graphs, epochs=4, batch_size=6, progress=False, seed=7)

    torch.manual_seed(0)
    interrupted = NoisyViews()
    first = pretrain(interrupted, graphs, epochs=2, batch_size=6, progress=False, seed=7,
                     checkpoint_dir=tmp_path, checkpoint_every=1)
    assert (tmp_path / "last.pt").is_file() and first.epochs == 2
    torch.randn(100)  # the global RNG moves on, as it would in a new process

    torch.manual_seed(123)  # a fresh model; everything must come from the checkpoint
    resumed_method = NoisyViews(seed=99)
    resumed = pretrain(resumed_method, graphs, epochs=4, batch_size=6, progress=False, seed=7,
                       checkpoint_dir=tmp_path)
    assert resumed.resumed_from_epoch == 2
    assert [r["epoch"] for r in resumed.history] == [1, 2, 3, 4]
    assert resumed.losses == pytest.approx(full.losses, abs=0)
    reference = _state(straight)
    for key, value in resumed_method.state_dict().items():
        assert torch.equal(value, reference[key]), key
    checkpoint = load_checkpoint(tmp_path / "last.pt")
    assert checkpoint["epoch"] == 4
    assert checkpoint["config"]["method"] == "NoisyViews"
    assert set(checkpoint) >= {"model", "optimizer", "history", "rng", "config"}


def test_checkpoint_every_and_no_resume(tmp_path):
    method = NoisyViews()
    written = []
    pretrain(method, random_graphs(8), epochs=3, batch_size=4, progress=False, checkpoint_dir=tmp_path,
             checkpoint_every=2, on_epoch=lambda r: written.append(load_checkpoint(tmp_path / "last.pt")["epoch"]
                                                              if (tmp_path / "last.pt").exists() else 0))
    # on_epoch runs before the epoch's checkpoint: nothing at epoch 1/2, epoch 2's file seen at epoch 3
    assert written == [0, 0, 2]
    assert load_checkpoint(tmp_path / "last.pt")["epoch"] == 3
    again = pretrain(NoisyViews(), random_graphs(8), epochs=1, batch_size=4, progress=False,
                     checkpoint_dir=tmp_path, resume=False)
    assert again.resumed_from_epoch == 0 and load_checkpoint(tmp_path / "last.pt")["epoch"] == 1


def test_accepts_a_loader_and_max_batches():
    from torch_geometric.loader import DataLoader

    loader = DataLoader(random_graphs(12), batch_size=3, shuffle=True)
    result = pretrain(NoisyViews(), loader, epochs=1, progress=False, max_batches_per_epoch=2)
    assert result.history[0]["graphs"] == 6


def test_resume_refuses_another_method(tmp_path):
    pretrain(NoisyViews(), random_graphs(4), epochs=1, batch_size=4, progress=False, checkpoint_dir=tmp_path)

    class Other(NoisyViews):
        pass

    with pytest.raises(ValueError, match="NoisyViews"):
        pretrain(Other(), random_graphs(4), epochs=2, batch_size=4, progress=False, checkpoint_dir=tmp_path)


@pytest.mark.parametrize("kwargs, message", [
    ({"epochs": -1}, "epochs"), ({"batch_size": 0}, "batch_size"), ({"checkpoint_every": 0}, "checkpoint_every"),
    ({"lr": 0.0}, "lr"),
])
def test_bad_arguments(kwargs, message):
    args = {"epochs": 1, "batch_size": 2, **kwargs}
    with pytest.raises(ValueError, match=message):
        pretrain(NoisyViews(), random_graphs(4), progress=False, **args)


def test_bad_inputs():
    with pytest.raises(TypeError, match="loss"):
        pretrain(torch.nn.Linear(2, 2), random_graphs(4), epochs=1, progress=False)
    with pytest.raises(ValueError, match="empty"):
        pretrain(NoisyViews(), [], epochs=1, progress=False)


def test_non_finite_loss_is_reported():
    class Exploding(NoisyViews):
        def loss(self, batch):
            return super().loss(batch) * float("nan")

    with pytest.raises(FloatingPointError, match="Non-finite"):
        pretrain(Exploding(), random_graphs(4), epochs=1, batch_size=2, progress=False)
