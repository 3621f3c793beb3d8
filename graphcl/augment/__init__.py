"""Graph augmentations (functions and transforms, per graph on a batch) and chemistry-aware substitution."""
from graphcl.augment.attribute_mask import MASK_MODES, MaskAttributes, mask_attributes
from graphcl.augment.base import Augmentation, apply_to_graphs
from graphcl.augment.chemistry import (ApplicabilityIndex, Rule, SubstructureSubstitution,
                                       build_applicability_index, default_rules, load_rules)
from graphcl.augment.compose import Compose, Identity, RandomChoice, identity
from graphcl.augment.diffusion import PPRDiffusion, ppr_diffusion
from graphcl.augment.edge_drop import DropEdges, drop_edges
from graphcl.augment.edge_perturb import PerturbEdges, perturb_edges
from graphcl.augment.feature_shuffle import ShuffleNodeFeatures, shuffle_node_features
from graphcl.augment.modes import GRAPHCL_AUGMENTATION_MODES, build_augmentations
from graphcl.augment.node_drop import DropNodes, drop_nodes
from graphcl.augment.per_graph_choice import RandomChoicePerGraph, random_choice_per_graph
from graphcl.augment.registry import AUGMENTATIONS, JOAO_AUGMENTATIONS, make_augmentation
from graphcl.augment.subgraph import SampleSubgraph, sample_subgraph

__all__ = [
    "Augmentation",
    "shuffle_node_features",
    "drop_nodes",
    "drop_edges",
    "perturb_edges",
    "mask_attributes",
    "sample_subgraph",
    "identity",
    "ShuffleNodeFeatures",
    "DropNodes",
    "DropEdges",
    "PerturbEdges",
    "MaskAttributes",
    "SampleSubgraph",
    "Identity",
    "Compose",
    "RandomChoice",
    "RandomChoicePerGraph",
    "random_choice_per_graph",
    "apply_to_graphs",
    "GRAPHCL_AUGMENTATION_MODES",
    "build_augmentations",
    "JOAO_AUGMENTATIONS",
    "AUGMENTATIONS",
    "MASK_MODES",
    "make_augmentation",
    "SubstructureSubstitution",
    "Rule",
    "load_rules",
    "default_rules",
    "ApplicabilityIndex",
    "build_applicability_index",
    "ppr_diffusion",
    "PPRDiffusion",
]
