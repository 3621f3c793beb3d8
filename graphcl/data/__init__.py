"""Dataset loaders and splits."""
from graphcl.data.graph_diffusion import GraphPPRDiffusion, ppr_matrix, with_ppr_diffusion
from graphcl.data.mirror import DatasetNotFoundError, data_root, mirror_root
from graphcl.data.featurizers import FEATURIZERS, Featurizer, MoleculeFeaturizationError, get_featurizer
from graphcl.data.molecules import (
    MOLECULENET_TASKS,
    InvalidSmilesError,
    InvalidSmilesReport,
    MoleculeDataset,
    featurize_smiles,
    load_moleculenet,
    load_smiles_corpus,
    moleculenet_csv,
    smiles_to_graphs,
)
from graphcl.data.loader import InMemoryGraphLoader, graph_loader, supports_vectorized_collation
from graphcl.data.graph_files import GraphFileError, labelled_split, load_graph_file
from graphcl.data.neighbor_sampler import TorchNeighborSampler, neighbor_loader
from graphcl.data.ogb_nodes import OGB_NODE_DATASETS, load_ogb_node
from graphcl.data.planetoid import load_planetoid
from graphcl.data.splits import random_split, scaffold, scaffold_split, stratified_kfold
from graphcl.data.synthetic import SyntheticGraphDataset, community_graph, sbm_graph, sbm_graph_dataset, sparse_sbm_graph
from graphcl.data.tu import GINFormatDataset, load_tu, set_node_features
from graphcl.data.views import AugmentedViews

__all__ = [
    "AugmentedViews",
    "DatasetNotFoundError",
    "data_root",
    "mirror_root",
    "load_planetoid",
    "InMemoryGraphLoader",
    "graph_loader",
    "supports_vectorized_collation",
    "load_graph_file",
    "GraphFileError",
    "labelled_split",
    "neighbor_loader",
    "TorchNeighborSampler",
    "load_ogb_node",
    "OGB_NODE_DATASETS",
    "load_tu",
    "GraphPPRDiffusion",
    "ppr_matrix",
    "with_ppr_diffusion",
    "GINFormatDataset",
    "set_node_features",
    "load_moleculenet",
    "load_smiles_corpus",
    "MoleculeDataset",
    "MOLECULENET_TASKS",
    "InvalidSmilesError",
    "InvalidSmilesReport",
    "featurize_smiles",
    "smiles_to_graphs",
    "moleculenet_csv",
    "FEATURIZERS",
    "Featurizer",
    "MoleculeFeaturizationError",
    "get_featurizer",
    "scaffold",
    "scaffold_split",
    "random_split",
    "stratified_kfold",
    "sbm_graph",
    "community_graph",
    "sbm_graph_dataset",
    "sparse_sbm_graph",
    "SyntheticGraphDataset",
]
