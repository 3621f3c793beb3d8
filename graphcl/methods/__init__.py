"""Contrastive pretraining methods: each a :class:`Method` (``loss(batch)``, ``embed(batch)``, ``config``)."""
from graphcl.methods.base import Method, encode, encode_graphs, encoder_channels, resolve_augmentations
from graphcl.methods.bgrl import BGRL, GraphBGRL
from graphcl.methods.cg3 import CG3
from graphcl.methods.dgi import DGI, TrainResult, train_full_batch
from graphcl.methods.graphcl_graph import GraphCL
from graphcl.methods.grace import GRACE, GRACE_SETTINGS, GRACESettings, GRACEView, build_grace, grace_settings
from graphcl.methods.graphcl_node import NODE_AUGMENTATIONS, NodeGraphCL, make_node_augmentation
from graphcl.methods.infograph import InfoGraph
from graphcl.methods.joao import JOAO, AugmentationPairDistribution, JOAOv2, project_simplex
from graphcl.methods.mocl import MoCL, build_mocl
from graphcl.methods.moco import MoCo
from graphcl.methods.mvgrl_graph import GraphMVGRL
from graphcl.methods.reference_embeddings import FeatureSum, UntrainedEncoder
from graphcl.methods.registry import GRAPH_METHODS, NODE_METHODS, build_method, method_class, register_method
from graphcl.methods.mvgrl import MVGRL, build_mvgrl
from graphcl.methods.simsiam import SimSiam

__all__ = [
    "Method",
    "encode",
    "encode_graphs",
    "encoder_channels",
    "resolve_augmentations",
    "NODE_METHODS",
    "GRAPH_METHODS",
    "method_class",
    "build_method",
    "register_method",
    "DGI",
    "NodeGraphCL",
    "NODE_AUGMENTATIONS",
    "make_node_augmentation",
    "TrainResult",
    "train_full_batch",
    "GraphCL",
    "JOAO",
    "JOAOv2",
    "AugmentationPairDistribution",
    "project_simplex",
    "CG3",
    "MoCL",
    "build_mocl",
    "BGRL",
    "GraphBGRL",
    "MoCo",
    "SimSiam",
    "InfoGraph",
    "GraphMVGRL",
    "UntrainedEncoder",
    "FeatureSum",
    "GRACE",
    "GRACEView",
    "GRACESettings",
    "GRACE_SETTINGS",
    "grace_settings",
    "build_grace",
    "MVGRL",
    "build_mvgrl",
]
