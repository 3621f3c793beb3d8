"""Property prediction on the user's own molecules: fine-tune from a CSV, predict, embed."""
from graphcl.predict.property import (
    FinetuneConfig,
    Predictions,
    PropertyModel,
    classification_metrics,
    embed_smiles,
    finetune_property_model,
    json_safe,
    load_property_model,
    masked_mse_loss,
    regression_metrics,
    write_predictions,
)
from graphcl.predict.table import MoleculeTable, read_molecule_table

__all__ = [
    "FinetuneConfig",
    "Predictions",
    "PropertyModel",
    "MoleculeTable",
    "classification_metrics",
    "embed_smiles",
    "finetune_property_model",
    "json_safe",
    "load_property_model",
    "masked_mse_loss",
    "read_molecule_table",
    "regression_metrics",
    "write_predictions",
]
