"""graphcl.eval"""
from graphcl.eval.diagnostics import alignment, plot_embeddings, uniformity
from graphcl.eval.molecules import (
    MoleculePropertyModel,
    TransferResult,
    embed_molecules,
    finetune_molecules,
    label_fraction_split,
    linear_probe_molecules,
    masked_bce_loss,
    roc_auc_multitask,
    roc_auc_per_task,
    summarize_seeds,
)

__all__ = [
    "alignment",
    "uniformity",
    "plot_embeddings",
    "MoleculePropertyModel",
    "TransferResult",
    "embed_molecules",
    "finetune_molecules",
    "label_fraction_split",
    "linear_probe_molecules",
    "masked_bce_loss",
    "roc_auc_multitask",
    "roc_auc_per_task",
    "summarize_seeds",
]
