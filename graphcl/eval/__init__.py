"""graphcl.eval"""
from graphcl.eval.diagnostics import alignment, plot_embeddings, uniformity
from graphcl.eval.molecules import (
    MOLECULENET_TASKS,
    MoleculePropertyModel,
    TransferResult,
    embed_molecules,
    evaluate_on_task,
    finetune_molecules,
    label_fraction_split,
    linear_probe_molecules,
    masked_bce_loss,
    random_encoder_factory,
    roc_auc_multitask,
    roc_auc_per_task,
    summarize_seeds,
    task_split,
)

__all__ = [
    "alignment",
    "uniformity",
    "plot_embeddings",
    "MOLECULENET_TASKS",
    "MoleculePropertyModel",
    "TransferResult",
    "embed_molecules",
    "evaluate_on_task",
    "finetune_molecules",
    "label_fraction_split",
    "linear_probe_molecules",
    "masked_bce_loss",
    "random_encoder_factory",
    "roc_auc_multitask",
    "roc_auc_per_task",
    "summarize_seeds",
    "task_split",
]
