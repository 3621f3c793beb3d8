"""Dataset loaders and splits."""
from graphcl.data.mirror import DatasetNotFoundError, data_root, mirror_root
from graphcl.data.molecules import (
    MOLECULENET_TASKS,
    InvalidSmilesError,
    InvalidSmilesReport,
    MoleculeDataset,
    featurize_smiles,
    load_moleculenet,
    load_smiles_corpus,
)
from graphcl.data.planetoid import load_planetoid
from graphcl.data.splits import random_split, scaffold, scaffold_split, stratified_kfold
from graphcl.data.synthetic import SyntheticGraphDataset, sbm_graph, sbm_graph_dataset, sparse_sbm_graph
from graphcl.data.tu import GINFormatDataset, load_tu, set_node_features

__all__ = [
    "DatasetNotFoundError",
    "data_root",
    "mirror_root",
    "load_planetoid",
    "load_tu",
    "GINFormatDataset",
    "set_node_features",
    "load_moleculenet",
    "load_smiles_corpus",
    "MoleculeDataset",
    "MOLECULENET_TASKS",
    "InvalidSmilesError",
    "InvalidSmilesReport",
    "featurize_smiles",
    "scaffold",
    "scaffold_split",
    "random_split",
    "stratified_kfold",
    "sbm_graph",
    "sbm_graph_dataset",
    "sparse_sbm_graph",
    "SyntheticGraphDataset",
]
