"""Determinism, interruption (SIGTERM) and resume of pretraining runs, on the CPU."""
import os
import signal

import pytest
import torch

from graphcl.augment.chemistry import smiles_to_data
from graphcl.cli import main
from graphcl.data.views import AugmentedViews
from graphcl.methods.mocl import build_mocl
from graphcl.nn import MoleculeGINEncoder
from graphcl.train import TrainingInterrupted, TrainingOptions, train
from graphcl.train import loop as loop_module
from graphcl.utils import load_checkpoint

SMILES = ["CC(=O)O", "OC(=O)c1ccccc1", "CC(=O)Nc1ccccc1", "CCOC(=O)C", "c1ccccc1O", "CC(C)(C)c1ccccc1",
          "CC(=O)CC", "NC(=O)c1ccccc1", "CCCC(=O)O", "c1ccc(cc1)C(=O)O", "CCO", "CCN", "OCCO", "C1CCCCC1"]


def weights(path):
    return load_checkpoint(path)["state_dict"]


def assert_same(a, b):
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.smi"
    path.write_text("\n".join(SMILES * 2))  # 28 molecules: 4 batches of 8 per epoch
    return path


@pytest.fixture
def sigterm_at(monkeypatch):
    """Send this process SIGTERM right after optimizer step ``k`` (the loop's handler is installed)."""
    def arm(k):
        update = loop_module._Loop._update

        def update_then_signal(self, loss):
            update(self, loss)
            if self.global_step == k:
                os.kill(os.getpid(), signal.SIGTERM)
        monkeypatch.setattr(loop_module._Loop, "_update", update_then_signal)
        return lambda: monkeypatch.setattr(loop_module._Loop, "_update", update)
    return arm


def molecule_args(corpus, tmp_path, name, *extra):
    return ["pretrain-molecules", "--corpus", str(corpus), "--root", str(tmp_path / "data"), "--epochs", "2",
            "--batch-size", "8", "--hidden-channels", "8", "--num-layers", "2", "--no-progress",
            "--out", str(tmp_path / f"{name}.pt"), *extra]


def test_pretrain_molecules_same_command_same_weights(corpus, tmp_path):
    for name, seed in (("a", "3"), ("b", "3"), ("c", "4")):
        assert main(molecule_args(corpus, tmp_path, name, "--seed", seed)) == 0
    assert_same(weights(tmp_path / "a.pt"), weights(tmp_path / "b.pt"))
    other = weights(tmp_path / "c.pt")
    assert any(not torch.equal(other[k], v) for k, v in weights(tmp_path / "a.pt").items())


def test_pretrain_mocl_same_command_same_weights(data_root, tmp_path):
    def run(name, seed):
        return main(["pretrain-mocl", "--dataset", "bace", "--limit", "24", "--epochs", "1", "--batch-size", "8",
                     "--hidden-channels", "8", "--num-layers", "2", "--seed", seed, "--no-progress",
                     "--out", str(tmp_path / f"{name}.pt")])
    for name, seed in (("a", "1"), ("b", "1"), ("c", "2")):
        assert run(name, seed) == 0
    assert_same(weights(tmp_path / "a.pt"), weights(tmp_path / "b.pt"))
    other = weights(tmp_path / "c.pt")
    assert any(not torch.equal(other[k], v) for k, v in weights(tmp_path / "a.pt").items())


def test_sigterm_mid_epoch_then_resume_equals_uninterrupted(corpus, tmp_path, sigterm_at, capsys):
    assert main(molecule_args(corpus, tmp_path, "straight")) == 0
    args = molecule_args(corpus, tmp_path, "resumed", "--checkpoint-dir", str(tmp_path / "ckpt"))
    disarm = sigterm_at(6)  # epoch 2, after its second step
    assert main(args) == 128 + signal.SIGTERM
    message = capsys.readouterr().err
    assert "SIGTERM" in message and "epoch 2 after 2 step(s)" in message
    assert "graphcl pretrain-molecules --corpus" in message and "--checkpoint-dir" in message
    state = load_checkpoint(tmp_path / "ckpt" / "last.pt")
    assert (state["epoch"], state["step_in_epoch"], state["global_step"]) == (1, 2, 6)
    assert not (tmp_path / "resumed.pt").exists()
    disarm()
    assert main(args) == 0
    assert_same(weights(tmp_path / "straight.pt"), weights(tmp_path / "resumed.pt"))
    straight = load_checkpoint(tmp_path / "straight.pt")["extra"]["history"]
    resumed = load_checkpoint(tmp_path / "resumed.pt")["extra"]["history"]
    assert [r["loss"] for r in straight] == [r["loss"] for r in resumed]


def mocl_run(tmp_path, num_workers, interrupt_at=None, checkpoint_steps=None, fail_at=None):
    torch.manual_seed(0)
    method = build_mocl(SMILES, encoder=MoleculeGINEncoder(hidden_channels=8, num_layers=2, p=0.5),
                        generator=torch.Generator().manual_seed(0))
    dataset = [smiles_to_data(s) for s in SMILES]
    data = AugmentedViews(dataset, method.substitution) if num_workers else dataset
    options = TrainingOptions(epochs=2, batch_size=4, seed=0, progress=False, num_workers=num_workers,
                              checkpoint_dir=str(tmp_path) if interrupt_at or checkpoint_steps else None,
                              checkpoint_steps=checkpoint_steps)
    return method, lambda: train(method, data, options)


@pytest.mark.parametrize("num_workers", [0, 2])
def test_mocl_interrupted_and_resumed_equals_uninterrupted(tmp_path, num_workers, sigterm_at):
    straight, run = mocl_run(tmp_path / "a", num_workers)
    expected = run()
    first, run = mocl_run(tmp_path / "b", num_workers, interrupt_at=5)
    disarm = sigterm_at(5)  # 4 batches per epoch: epoch 2, after its first step
    with pytest.raises(TrainingInterrupted, match="To resume"):
        run()
    disarm()
    resumed, run = mocl_run(tmp_path / "b", num_workers, interrupt_at=5)
    result = run()
    assert result.resumed_from_epoch == 1 and result.losses == expected.losses
    assert_same(straight.state_dict(), resumed.state_dict())
    # the substitution's generator is part of the checkpoint and ends where the straight run's ends
    assert torch.equal(straight.substitution.generator.get_state(), resumed.substitution.generator.get_state())


def test_resume_from_step_checkpoint_after_a_crash(tmp_path, monkeypatch):
    straight, run = mocl_run(tmp_path / "a", 0)
    expected = run()
    update = loop_module._Loop._update

    def crash(self, loss):
        update(self, loss)
        if self.global_step == 7:
            raise RuntimeError("power cut")
    monkeypatch.setattr(loop_module._Loop, "_update", crash)
    _, run = mocl_run(tmp_path / "b", 0, checkpoint_steps=3)
    with pytest.raises(RuntimeError, match="power cut"):
        run()
    monkeypatch.setattr(loop_module._Loop, "_update", update)
    state = load_checkpoint(tmp_path / "b" / "last.pt")
    assert (state["epoch"], state["step_in_epoch"]) == (1, 2)  # step 6 = epoch 2, step 2
    resumed, run = mocl_run(tmp_path / "b", 0, checkpoint_steps=3)
    assert run().losses == expected.losses
    assert_same(straight.state_dict(), resumed.state_dict())


def test_precision_and_seed_are_stored(corpus, tmp_path):
    args = molecule_args(corpus, tmp_path, "bf16", "--precision", "bf16", "--checkpoint-dir", str(tmp_path / "ck"),
                         "--epochs", "1", "--seed", "5")
    assert main(args) == 0
    config = load_checkpoint(tmp_path / "ck" / "last.pt")["config"]
    assert (config["precision"], config["seed"]) == ("bf16", 5)
    extra = load_checkpoint(tmp_path / "bf16.pt")["extra"]
    assert (extra["precision"], extra["seed"]) == ("bf16", 5)


def test_second_signal_is_not_deferred(tmp_path, monkeypatch):
    """A first SIGINT is deferred to the end of the step; a second one, during the same step, is delivered at
    once (KeyboardInterrupt), so a run stuck inside a step can still be stopped. Handlers are restored."""
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    update = loop_module._Loop._update

    def twice(self, loss):
        os.kill(os.getpid(), signal.SIGINT)
        assert self.signals.received == signal.SIGINT  # the first one is only recorded
        os.kill(os.getpid(), signal.SIGINT)
        update(self, loss)  # not reached: the second one raises
    monkeypatch.setattr(loop_module._Loop, "_update", twice)
    _, run = mocl_run(tmp_path, 0, checkpoint_steps=100)
    with pytest.raises(KeyboardInterrupt):
        run()
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before
    assert not (tmp_path / "last.pt").exists()  # stopped before any step finished
