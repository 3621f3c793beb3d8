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
    assert runs[0].test == runs[0].history[runs[0].best_epoch - 1]["test"]
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
