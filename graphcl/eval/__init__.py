"""Evaluation protocols on frozen embeddings, transfer evaluation and embedding diagnostics."""
from graphcl.eval.diagnostics import alignment, plot_embeddings, uniformity
from graphcl.eval.linear_probe import LinearProbeResult, linear_probe
from graphcl.eval.molecules import (
    MOLECULENET_TASKS,
    MoleculePropertyModel,
    TransferResult,
    cap_split,
    dataset_labels,
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
from graphcl.eval.node_embeddings import layerwise_embeddings, save_node_embeddings
from graphcl.eval.node_protocol import NodePretrainOptions, prepare_node_data, run_node_pretraining
from graphcl.eval.random_split import GRACE_C_GRID, RandomSplitResult, random_split_logreg
from graphcl.eval.svm import CrossValidationResult, embed_dataset, svm_cross_validation

__all__ = [
    "alignment",
    "uniformity",
    "plot_embeddings",
    "LinearProbeResult",
    "linear_probe",
    "layerwise_embeddings",
    "save_node_embeddings",
    "NodePretrainOptions",
    "prepare_node_data",
    "run_node_pretraining",
    "random_split_logreg",
    "RandomSplitResult",
    "GRACE_C_GRID",
    "CrossValidationResult",
    "embed_dataset",
    "svm_cross_validation",
    "MOLECULENET_TASKS",
    "MoleculePropertyModel",
    "TransferResult",
    "cap_split",
    "dataset_labels",
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
