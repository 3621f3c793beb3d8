"""graphcl.eval"""
from graphcl.eval.molecules import (
    MoleculePropertyModel,
    TransferResult,
    embed_graphs,
    finetune,
    label_fraction_split,
    linear_probe,
    masked_bce_loss,
    roc_auc_multitask,
    roc_auc_per_task,
    summarize_seeds,
)

__all__ = [
    "MoleculePropertyModel",
    "TransferResult",
    "embed_graphs",
    "finetune",
    "label_fraction_split",
    "linear_probe",
    "masked_bce_loss",
    "roc_auc_multitask",
    "roc_auc_per_task",
    "summarize_seeds",
]
