import numpy as np
import pytest
import torch

from graphcl.eval import finetune_molecules
from graphcl.nn import MoleculeGINEncoder
from graphcl.predict import FinetuneConfig, finetune_property_model

from test_molecules_eval import SMILES, SPLIT, molecules


def _encoder_recording_dtypes():
    torch.manual_seed(0)
    encoder = MoleculeGINEncoder(hidden_channels=16, num_layers=2)
    seen = []
    encoder.convs[0].nn[0].register_forward_hook(lambda module, args, out: seen.append((module.training, out.dtype)))
    return encoder, seen  # deepcopies of the encoder keep the hook


@pytest.mark.parametrize("precision,expected", [("fp32", torch.float32), ("bf16", torch.bfloat16)])
def test_finetune_molecules_autocast(precision, expected):
    encoder, seen = _encoder_recording_dtypes()
    result = finetune_molecules(encoder, molecules(), SPLIT, epochs=3, lr=1e-2, batch_size=8, seed=0, device="cpu",
                                precision=precision)
    assert {dtype for training, dtype in seen if training} == {expected}
    assert {dtype for training, dtype in seen if not training} == {torch.float32}  # evaluation in float32
    assert 0.0 <= result.valid <= 1.0
    with pytest.raises(ValueError, match="precision"):
        finetune_molecules(encoder, molecules(), SPLIT, epochs=1, precision="fp16")


def test_property_model_bf16_keeps_float32_weights():
    encoder, seen = _encoder_recording_dtypes()
    y = np.array([[float(i % 2)] for i in range(len(SMILES))])
    model = finetune_property_model(SMILES, y, "classification", encoder=encoder,
                                    config=FinetuneConfig(epochs=2, batch_size=8, precision="bf16"), device="cpu")
    assert torch.bfloat16 in {dtype for training, dtype in seen if training}
    assert all(p.dtype == torch.float32 for p in model.network.parameters())
    assert model.config["precision"] == "bf16"
