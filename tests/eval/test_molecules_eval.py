import math

import numpy as np
import pytest
import torch
from torch_geometric.data import Data

from graphcl.eval import (
    embed_molecules,
    finetune_molecules,
    label_fraction_split,
    linear_probe_molecules,
    masked_bce_loss,
    roc_auc_multitask,
    roc_auc_per_task,
)
from graphcl.nn import MoleculeGINEncoder

SMILES = ["CCO", "CCN", "c1ccccc1", "c1ccncc1", "CC(=O)O", "CC(=O)N", "CCCC", "CCCN", "OCCO", "NCCN",
          "c1ccc(O)cc1", "c1ccc(N)cc1", "CCOC", "CNC", "C1CCCCC1", "C1CCNCC1", "CC(C)O", "CC(C)N",
          "COC(=O)C", "CN(C)C", "ClCCl", "NC(=O)N", "FC(F)F", "N#CC"]


def molecules():
    from ogb.utils import smiles2graph

    graphs = []
    for i, smiles in enumerate(SMILES):
        g = smiles2graph(smiles)
        x = torch.from_numpy(g["node_feat"]).long()
        has_nitrogen = float((x[:, 0] == 6).any())  # OGB atomic-number index 6 = nitrogen
        has_oxygen = float((x[:, 0] == 7).any())
        y = torch.tensor([[has_nitrogen, has_oxygen if i % 3 else math.nan]])
        graphs.append(Data(x=x, edge_index=torch.from_numpy(g["edge_index"]).long(),
                           edge_attr=torch.from_numpy(g["edge_feat"]).long(), y=y, smiles=smiles))
    return graphs


SPLIT = {"train": torch.arange(0, 16), "valid": torch.arange(16, 20), "test": torch.arange(20, 24)}


def test_roc_auc_matches_ogb_evaluator():
    from ogb.graphproppred import Evaluator

    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 2, size=(60, 12)).astype(float)
    y_true[rng.random(y_true.shape) < 0.3] = np.nan
    y_true[:, 3] = np.where(np.isnan(y_true[:, 3]), np.nan, 1.0)  # one class only: skipped
    y_pred = rng.normal(size=y_true.shape)
    expected = Evaluator("ogbg-moltox21").eval({"y_true": y_true, "y_pred": y_pred})["rocauc"]
    assert roc_auc_multitask(y_true, y_pred) == pytest.approx(expected, abs=1e-12)
    assert math.isnan(roc_auc_per_task(y_true, y_pred)[3])


def test_roc_auc_errors():
    with pytest.raises(ValueError, match="both positive and negative"):
        roc_auc_multitask(np.ones((4, 2)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="shape"):
        roc_auc_multitask(np.ones((4, 2)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="0, 1 or NaN"):
        roc_auc_multitask(np.array([[0.0], [2.0]]), np.zeros((2, 1)))
    with pytest.raises(ValueError, match="NaN or infinite"):
        roc_auc_multitask(np.array([[0.0], [1.0]]), np.array([[np.nan], [0.0]]))


def test_masked_bce_ignores_missing_labels():
    logits = torch.tensor([[2.0, -1.0], [0.5, 3.0]])
    y = torch.tensor([[1.0, math.nan], [0.0, math.nan]])
    expected = torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor([2.0, 0.5]), torch.tensor([1.0, 0.0]))
    assert masked_bce_loss(logits, y) == pytest.approx(float(expected))
    assert float(masked_bce_loss(logits, torch.full_like(y, math.nan))) == 0.0


def test_finetune_learns_and_is_deterministic():
    data = molecules()
    torch.manual_seed(0)
    encoder = MoleculeGINEncoder(hidden_channels=16, num_layers=2)
    before = {k: v.clone() for k, v in encoder.state_dict().items()}
    state = torch.get_rng_state()
    runs = [finetune_molecules(encoder, data, SPLIT, epochs=15, lr=1e-2, batch_size=8, seed=3, device="cpu") for _ in range(2)]
    assert torch.equal(state, torch.get_rng_state())  # caller's RNG untouched
    assert runs[0].test == runs[1].test and runs[0].valid == runs[1].valid
    assert runs[0].history[-1]["loss"] < runs[0].history[0]["loss"]
    assert runs[0].valid == max(h["valid"] for h in runs[0].history)
    assert "test" not in runs[0].history[0]  # scored once, with the best validation epoch's weights
    every = finetune_molecules(encoder, data, SPLIT, epochs=15, lr=1e-2, batch_size=8, seed=3, device="cpu",
                               test_every_epoch=True)
    assert every.best_epoch == runs[0].best_epoch and every.valid == runs[0].valid
    assert every.test == runs[0].test == every.history[every.best_epoch - 1]["test"]
    assert runs[0].valid > 0.7
    for key, value in encoder.state_dict().items():  # the given encoder is copied, not trained
        assert torch.equal(value, before[key])
    other = finetune_molecules(encoder, data, SPLIT, epochs=3, seed=4, device="cpu")
    assert other.history != runs[0].history[:3]


def test_linear_probe_and_label_fraction():
    data = molecules()
    torch.manual_seed(0)
    encoder = MoleculeGINEncoder(hidden_channels=32, num_layers=2)
    z, y = embed_molecules(encoder, data, device="cpu")
    assert z.shape == (24, 32) and y.shape == (24, 2)
    result = linear_probe_molecules(encoder, data, SPLIT, epochs=30, lr=1e-2, seed=0, device="cpu", embeddings=(z, y))
    assert 0.0 <= result.test <= 1.0 and result.train_size == 16
    again = linear_probe_molecules(encoder, data, SPLIT, epochs=30, lr=1e-2, seed=0, device="cpu")
    assert again.test == result.test
    small = label_fraction_split(SPLIT, 0.25, seed=1)
    assert len(small["train"]) == 4 and set(small["train"].tolist()) <= set(SPLIT["train"].tolist())
    assert torch.equal(small["test"], SPLIT["test"])
    with pytest.raises(ValueError, match="fraction"):
        label_fraction_split(SPLIT, 0.0)


def test_bad_protocol_arguments():
    data = molecules()
    encoder = MoleculeGINEncoder(hidden_channels=8, num_layers=1)
    with pytest.raises(ValueError, match="split lacks"):
        finetune_molecules(encoder, data, {"train": SPLIT["train"], "val": SPLIT["valid"], "test": SPLIT["test"]}, epochs=1)
    with pytest.raises(ValueError, match="empty"):
        finetune_molecules(encoder, data, {**SPLIT, "valid": torch.tensor([], dtype=torch.long)}, epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        linear_probe_molecules(encoder, data, SPLIT, epochs=0)


def test_evaluate_on_task_protocols_and_baseline_factory():
    from graphcl.eval import evaluate_on_task, random_encoder_factory

    data = molecules()
    factory = random_encoder_factory(MoleculeGINEncoder, hidden_channels=8, num_layers=1)
    a, b = factory(1), factory(1)
    assert all(torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters()))
    runs = evaluate_on_task(factory, data, SPLIT, seeds=(0, 1), protocol="finetune", epochs=2, device="cpu")
    assert len(runs) == 2 and all(0 <= r.test <= 1 for r in runs)
    linear = evaluate_on_task(a, data, SPLIT, seeds=(0, 1), protocol="linear", epochs=3, label_fraction=0.5,
                              device="cpu")
    assert [r.train_size for r in linear] == [8, 8]
    with pytest.raises(ValueError, match="protocol"):
        evaluate_on_task(a, data, SPLIT, protocol="svm")


def test_cap_split_keeps_positives_and_test():
    from graphcl.eval import cap_split

    labels = torch.zeros(100, 2)
    labels[[50, 55, 60], 0] = 1.0
    labels[71, 1] = 1.0
    labels[::7, 1] = math.nan
    split = {"train": torch.arange(40), "valid": torch.arange(40, 80), "test": torch.arange(80, 100)}
    capped = cap_split(split, labels, max_train=10, max_valid=8, seed=0)
    assert len(capped["train"]) == 10 and set(capped["train"].tolist()) <= set(range(40))
    assert len(capped["valid"]) == 8 and {50, 55, 60, 71} <= set(capped["valid"].tolist())
    assert set(capped["valid"].tolist()) <= set(range(40, 80))
    assert torch.equal(capped["test"], split["test"])
    again = cap_split(split, labels, max_train=10, max_valid=8, seed=0)
    assert all(torch.equal(capped[k], again[k]) for k in capped)
    assert not torch.equal(cap_split(split, labels, max_train=10, seed=1)["train"], capped["train"])
    untouched = cap_split(split, labels, max_train=1000, max_valid=None)
    assert all(torch.equal(untouched[k], split[k]) for k in split)
    with pytest.raises(ValueError, match="max_train"):
        cap_split(split, labels, max_train=0)
    with pytest.raises(ValueError, match="labels"):
        cap_split(split, labels[:, 0], max_valid=5)


def test_pretrained_weights_reach_the_finetuned_model(tmp_path, monkeypatch):
    """The fine-tuned encoder starts from every pretrained tensor (BatchNorm statistics included) and the
    projection head stays out of the checkpoint."""
    import graphcl.eval.molecules as molecules_eval
    from torch_geometric.loader import DataLoader

    from graphcl.nn import load_encoder, save_encoder
    from graphcl.train import pretrain
    from graphcl.train.molecules import build_molecule_method

    data = molecules()
    torch.manual_seed(0)
    method = build_molecule_method("graphcl", encoder=MoleculeGINEncoder(hidden_channels=16, num_layers=2),
                                   generator=torch.Generator().manual_seed(0))
    initial = {k: v.clone() for k, v in method.encoder.state_dict().items()}
    pretrain(method, DataLoader(data, batch_size=12, shuffle=False), epochs=2, device="cpu", progress=False)
    trained = method.encoder.state_dict()
    assert int(trained["norms.0.num_batches_tracked"]) == 8  # 2 epochs x 2 batches x 2 views
    assert not torch.equal(trained["norms.0.running_mean"], initial["norms.0.running_mean"])
    path = save_encoder(method.encoder, tmp_path / "encoder.pt")
    payload = torch.load(path, weights_only=False)
    assert set(payload["state_dict"]) == set(trained) and not any("projection" in k for k in payload["state_dict"])
    loaded = load_encoder(path)
    started = {}
    original = molecules_eval._train

    def spy(model, *args, **kwargs):
        started.update({k: v.clone() for k, v in model.encoder.state_dict().items()})
        started["p"] = model.encoder.p
        return original(model, *args, **kwargs)

    monkeypatch.setattr(molecules_eval, "_train", spy)
    finetune_molecules(loaded, data, SPLIT, epochs=1, batch_size=8, device="cpu")
    assert started.pop("p") == 0.5
    assert set(started) == set(trained)
    for key, value in trained.items():
        assert torch.equal(started[key], value), key


def test_cap_split_keeps_both_classes_when_positives_exceed_the_cap():
    from graphcl.eval import cap_split

    labels = torch.zeros(60, 1)
    labels[20:50, 0] = 1.0  # validation = 20..59: 30 positives, 10 negatives
    split = {"train": torch.arange(20), "valid": torch.arange(20, 60), "test": torch.arange(0)}
    valid = cap_split(split, labels, max_valid=12, seed=0)["valid"]
    chosen = labels[valid, 0]
    assert len(valid) == 12 and int(chosen.sum()) == 6 and int((chosen == 0).sum()) == 6
    few_negatives = labels.clone()
    few_negatives[20:58, 0] = 1.0  # only 2 negatives: positives fill the rest of the cap
    chosen = few_negatives[cap_split(split, few_negatives, max_valid=12, seed=0)["valid"], 0]
    assert len(chosen) == 12 and int((chosen == 0).sum()) == 2
