import json

import pytest
import torch

from graphcl.augment.chemistry import smiles_to_data
from graphcl.cli import build_parser, main
from graphcl.data.featurizers import get_featurizer
from graphcl.methods.graphcl_graph import GRAPHCL_CHEM_SUBGRAPH_P
from graphcl.methods.mocl import build_mocl
from graphcl.nn import MoleculeGINEncoder, load_encoder
from graphcl.train.molecules import build_molecule_method
from graphcl.utils import load_checkpoint


@pytest.mark.parametrize("argv", [["pretrain-molecules", "--corpus", "x.smi"], ["pretrain-mocl", "--dataset", "bace"],
                                  ["finetune", "--task", "bace"]])
def test_molecule_commands_are_registered_and_routed(argv):
    args = build_parser().parse_args(argv)
    assert args.command == argv[0] and args.func.__module__ == "graphcl.cli.molecules"


def weights(path):
    return load_checkpoint(path)["state_dict"]


def test_pretrain_then_finetune_and_resume(data_root, tmp_path, capsys):
    corpus = tmp_path / "corpus.smi"
    corpus.write_text("\n".join(["CCO", "CCN", "c1ccccc1O", "CC(=O)O", "CCCC", "OCCO", "CNC", "C1CCCCC1"] * 2))
    ckpt = tmp_path / "ckpt"

    def pretrain(epochs, folder=ckpt):
        return main(["pretrain-molecules", "--corpus", str(corpus), "--epochs", str(epochs), "--batch-size", "8",
                     "--hidden-channels", "8", "--num-layers", "2", "--checkpoint-dir", str(folder),
                     "--no-progress"])

    assert pretrain(1) == 0
    encoder = load_encoder(ckpt / "encoder.pt")
    assert encoder.hidden_channels == 8 and encoder.num_layers == 2
    first = load_checkpoint(ckpt / "last.pt")
    assert first["epoch"] == 1 and len(first["history"]) == 1
    after_one = weights(ckpt / "encoder.pt")

    assert pretrain(2) == 0  # resumes after epoch 1, trains epoch 2
    assert "2 epochs" in capsys.readouterr().out
    resumed = load_checkpoint(ckpt / "last.pt")
    assert resumed["epoch"] == 2 and len(resumed["history"]) == 2
    # epoch 1 was not trained again: its record (down to its timing) is the one of the first run
    assert resumed["history"][0] == first["history"][0]
    after_two = weights(ckpt / "encoder.pt")
    assert any(not torch.equal(after_one[key], after_two[key]) for key in after_one)
    # and resuming lands where an uninterrupted two-epoch run does (weights, optimizer and RNG restored)
    straight = tmp_path / "straight"
    assert pretrain(2, straight) == 0
    reference = weights(straight / "encoder.pt")
    for key, value in reference.items():
        assert torch.allclose(value.float(), after_two[key].float(), atol=1e-6), key
    capsys.readouterr()

    out = tmp_path / "bace.json"
    assert main(["finetune", "--task", "bace", "--checkpoint", str(ckpt / "encoder.pt"), "--epochs", "1",
                 "--seeds", "0", "--protocol", "linear", "--out", str(out), "--no-progress"]) == 0
    result = json.loads(out.read_text())
    assert result["task"] == "bace" and 0.0 <= result["runs"][0]["test"] <= 1.0
    assert "test ROC-AUC" in capsys.readouterr().out


def test_finetune_regression_task_goes_through_the_csv_path(data_root, tmp_path, capsys):
    assert main(["finetune", "--task", "freesolv", "--epochs", "1", "--hidden-channels", "8", "--num-layers", "2",
                 "--save-dir", str(tmp_path / "m"), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "FreeSolv [regression, scaffold split" in out and "RMSE" in out and "R2" in out
    metrics = json.loads((tmp_path / "m" / "metrics.json").read_text())
    assert metrics["task_type"] == "regression" and metrics["num_molecules"]["test"] > 50
    # the multi-seed flag of the classification protocol is refused here, with the flag to use instead
    assert main(["finetune", "--task", "esol", "--epochs", "1", "--seeds", "0", "--no-progress"]) == 2
    assert "use --seed" in capsys.readouterr().err


def test_pretrain_molecules_with_hu2020_features_and_the_chemistry_subgraph(data_root, tmp_path):
    corpus = tmp_path / "corpus.smi"
    corpus.write_text("\n".join(["CCO", "c1ccccc1O", "CC(=O)O", "CCN(CC)CC", "c1ccncc1", "OC(=O)c1ccccc1",
                                 "CC(C)O", "Clc1ccccc1"]) + "\n")
    out = tmp_path / "hu.pt"
    code = main(["pretrain-molecules", "--corpus", str(corpus), "--epochs", "1", "--batch-size", "4",
                 "--hidden-channels", "8", "--num-layers", "2", "--featurizer", "hu2020", "--chem-subgraph",
                 "--out", str(out), "--no-progress", "--root", str(tmp_path / "data")])
    assert code == 0
    encoder = load_encoder(out)
    assert encoder.config["featurizer"] == "hu2020"
    # the encoder reads 2 atom features; OGB's 9-column atoms are refused with a clear error
    with pytest.raises(ValueError, match="featuriz"):
        encoder(smiles_to_data("CCO"))
    method = build_molecule_method("graphcl", encoder, chem_subgraph=True)
    assert [t.p for t in method.transforms] == [0.2, GRAPHCL_CHEM_SUBGRAPH_P]
    joao = build_molecule_method("joao", encoder)
    assert joao.transforms[joao.augmentation_names.index("attr_mask")].mask_value.tolist() == \
        list(get_featurizer("hu2020").atom_mask_token)


def test_pretrain_mocl_with_hu2020_features(data_root, tmp_path):
    out = tmp_path / "mocl_hu.pt"
    code = main(["pretrain-mocl", "--dataset", "bace", "--limit", "16", "--epochs", "1", "--batch-size", "8",
                 "--hidden-channels", "8", "--num-layers", "2", "--featurizer", "hu2020", "--no-progress",
                 "--out", str(out)])
    assert code == 0
    assert load_encoder(out).config["featurizer"] == "hu2020"
    with pytest.raises(ValueError, match="does not match the encoder"):
        build_mocl(["CCO", "CCN"], encoder=MoleculeGINEncoder(hidden_channels=8, num_layers=2), featurizer="hu2020")
    method = build_mocl(["CCO", "CCN"], encoder=MoleculeGINEncoder(hidden_channels=8, num_layers=2,
                                                                   featurizer="hu2020"))
    assert method.substitution.featurizer == "hu2020"
