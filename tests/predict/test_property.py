import math

import numpy as np
import pytest
import torch
from torch_geometric.data import Batch

from graphcl.data import scaffold_split, smiles_to_graphs
from graphcl.nn import MoleculeGINEncoder
from graphcl.predict import (FinetuneConfig, classification_metrics, embed_smiles, finetune_property_model,
                             load_property_model, masked_mse_loss, regression_metrics)

SMILES = ["CCO", "CCN", "CCC", "CCCl", "c1ccccc1", "c1ccccc1O", "c1ccccc1N", "c1ccncc1", "C1CCCCC1", "C1CCNCC1",
          "CC(=O)O", "CC(=O)N", "OCCO", "NCCN", "c1ccc2ccccc2c1", "c1ccoc1", "c1ccsc1", "CC(C)C", "CCOCC", "C1CC1O"]
TINY = FinetuneConfig(hidden_channels=8, num_layers=2, epochs=2, batch_size=4)


def test_regression_metrics_by_hand():
    truth = np.array([[1.0, np.nan], [2.0, 0.0], [3.0, 2.0], [np.nan, 4.0]])
    pred = np.array([[1.5, 9.0], [2.0, 1.0], [2.0, 2.0], [9.0, 2.0]])
    m = regression_metrics(truth, pred, ["a", "b"])
    # a: errors 0.5, 0, -1 ; b: errors 1, 0, -2
    assert m["per_task"]["a"]["rmse"] == pytest.approx(math.sqrt((0.25 + 0 + 1) / 3))
    assert m["per_task"]["a"]["mae"] == pytest.approx(0.5)
    assert m["per_task"]["a"]["r2"] == pytest.approx(1 - 1.25 / 2.0)  # sum (t - 2)^2 = 2
    assert m["per_task"]["b"]["rmse"] == pytest.approx(math.sqrt(5 / 3))
    assert m["per_task"]["b"]["r2"] == pytest.approx(1 - 5 / 8)
    assert m["rmse"] == pytest.approx((m["per_task"]["a"]["rmse"] + m["per_task"]["b"]["rmse"]) / 2)
    assert m["per_task"]["a"]["n"] == 3


def test_classification_metrics_skips_and_counts_single_class_tasks():
    truth = np.array([[1, 1], [0, 1], [np.nan, np.nan], [1, 1]], dtype=float)
    score = np.array([[0.9, 0.1], [0.2, 0.5], [0.3, 0.3], [0.4, 0.2]])
    m = classification_metrics(truth, score, ["x", "y"])
    assert m["roc_auc"] == pytest.approx(1.0) and m["tasks_skipped"] == 1 and m["tasks_scored"] == 1
    assert math.isnan(m["per_task"]["y"]["roc_auc"])


def test_masked_mse_loss():
    pred = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    target = torch.tensor([[0.0, float("nan")], [3.0, 2.0]])
    assert masked_mse_loss(pred, target).item() == pytest.approx((1 + 0 + 4) / 3)


def _targets(n=len(SMILES)):
    rng = np.random.default_rng(0)
    y = np.stack([rng.normal(5.0, 2.0, n), rng.normal(-1.0, 0.1, n)], axis=1)
    y[::3, 1] = np.nan
    return y


def test_regression_scaling_from_training_split_and_round_trip(tmp_path):
    smiles = SMILES + ["not_a_smiles"]
    y = np.vstack([_targets(), [[1.0, 1.0]]])
    with pytest.warns(UserWarning, match="skipped 1 of 21 SMILES.*line 21"):
        model = finetune_property_model(smiles, y, "regression", ["a", "b"], config=TINY,
                                        save_dir=tmp_path / "model", device="cpu")
    assert model.metrics["invalid_smiles"]["count"] == 1 and model.metrics["invalid_smiles"]["lines"] == [21]
    train = scaffold_split(SMILES)["train"].numpy()  # the invalid row is dropped before splitting
    expected = y[train]
    np.testing.assert_allclose(model.target_mean, np.nanmean(expected, axis=0))
    np.testing.assert_allclose(model.target_std, np.nanstd(expected, axis=0))
    assert set(model.metrics["test"]) >= {"rmse", "mae", "r2", "per_task"}

    loaded = load_property_model(tmp_path / "model")
    assert loaded.task_names == ["a", "b"] and loaded.task_type == "regression" and loaded.featurizer == "ogb"
    first, second = model.predict(smiles), loaded.predict(smiles)
    np.testing.assert_allclose(first.values, second.values, rtol=0, atol=1e-6)
    assert first.values.shape == (21, 2) and np.isnan(first.values[-1]).all() and not np.isnan(first.values[:-1]).any()
    assert first.errors[:-1] == [None] * 20 and "parse" in first.errors[-1]
    # outputs are in the targets' units: standardized outputs times std plus mean
    network = loaded.network.eval()
    raw = network(Batch.from_data_list(smiles_to_graphs(SMILES[:3])[0])).detach().numpy()
    np.testing.assert_allclose(second.values[:3], raw * loaded.target_std + loaded.target_mean, rtol=1e-5)
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == ["config.json", "encoder.pt", "metrics.json",
                                                                      "model.pt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder left behind


def test_classification_probabilities_and_label_checks(tmp_path):
    y = np.array([[i % 2, np.nan if i % 5 == 0 else (i // 2) % 2] for i in range(len(SMILES))], dtype=float)
    model = finetune_property_model(SMILES, y, "classification", ["p", "q"], config=TINY, device="cpu")
    probabilities = model.predict(SMILES).values
    assert ((probabilities > 0) & (probabilities < 1)).all()
    bad = y.copy()
    bad[3, 0] = 2.0
    with pytest.raises(ValueError, match="must be 0, 1 or empty; target 'p' has 2 on line 4"):
        finetune_property_model(SMILES, bad, "classification", ["p", "q"], config=TINY)
    with pytest.raises(ValueError, match="has no label at all"):
        finetune_property_model(SMILES, np.full((20, 1), np.nan), "regression", config=TINY)


def test_featurizer_mismatch_and_hu2020(tmp_path):
    encoder = MoleculeGINEncoder(8, 2)
    with pytest.raises(ValueError, match="featurizer mismatch.*'ogb'.*'hu2020'"):
        finetune_property_model(SMILES, _targets(), "regression", encoder=encoder,
                                config=FinetuneConfig(featurizer="hu2020", epochs=1))
    model = finetune_property_model(SMILES, _targets(), "regression",
                                    config=FinetuneConfig(hidden_channels=8, num_layers=2, epochs=1,
                                                          featurizer="hu2020"), save_dir=tmp_path / "hu")
    assert load_property_model(tmp_path / "hu").featurizer == "hu2020"
    assert model.encoder.featurizer == "hu2020"


def test_embed_smiles_keeps_rows():
    torch.manual_seed(0)
    encoder = MoleculeGINEncoder(8, 2)
    values, errors = embed_smiles(encoder, ["CCO", "xx", "c1ccccc1"])
    assert values.shape == (3, 8) and np.isnan(values[1]).all() and not np.isnan(values[[0, 2]]).any()
    assert errors[0] is None and errors[1]
    with pytest.raises(ValueError, match="featurizer mismatch"):
        embed_smiles(encoder, ["CCO"], featurizer="hu2020")


def test_same_seed_same_weights():
    y = _targets()
    first = finetune_property_model(SMILES, y, "regression", config=TINY)
    second = finetune_property_model(SMILES, y, "regression", config=TINY)
    other = finetune_property_model(SMILES, y, "regression", config=FinetuneConfig(**{**vars(TINY), "seed": 1}))
    for key, value in first.network.state_dict().items():
        assert torch.equal(value, second.network.state_dict()[key]), key
    assert any(not torch.equal(v, other.network.state_dict()[k]) for k, v in first.network.state_dict().items())


def test_save_replaces_a_folder_whole_and_a_failed_save_leaves_it_untouched(tmp_path, monkeypatch):
    model = finetune_property_model(SMILES, _targets(), "regression", config=FinetuneConfig(
        hidden_channels=8, num_layers=2, epochs=1))
    target = tmp_path / "model"
    target.mkdir()
    (target / "stale.txt").write_text("from an earlier model")
    model.save(target)
    assert sorted(p.name for p in target.iterdir()) == ["config.json", "encoder.pt", "metrics.json", "model.pt"]
    before = {p.name: p.read_bytes() for p in target.iterdir()}

    def fail(value):
        raise RuntimeError("disk full")

    monkeypatch.setattr("graphcl.predict.property.json_safe", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        model.save(target)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["model"]  # no temporary folder left behind
