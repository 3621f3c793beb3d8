"""Encoders, readouts, discriminators and projection heads."""
from graphcl.nn.discriminator import BilinearDiscriminator
from graphcl.nn.gcn import GCNEncoder, normalized_adjacency
from graphcl.nn.gin import GINEncoder
from graphcl.nn.graph_gcn import GraphGCNEncoder
from graphcl.nn.hierarchical_gcn import HierarchicalGCN
from graphcl.nn.molecule_gin import ENCODER_CLASSES, MoleculeGINEncoder, load_encoder, save_encoder
from graphcl.nn.output import EncoderOutput
from graphcl.nn.projection import ProjectionHead, ShortcutMLP
from graphcl.nn.readout import (
    READOUTS,
    max_readout,
    mean_readout,
    resolve_readout,
    sigmoid_mean_readout,
    sum_readout,
)

ENCODER_CLASSES.setdefault("GCNEncoder", GCNEncoder)
ENCODER_CLASSES.setdefault("GINEncoder", GINEncoder)
ENCODER_CLASSES.setdefault("GraphGCNEncoder", GraphGCNEncoder)

__all__ = [
    "EncoderOutput",
    "MoleculeGINEncoder",
    "GCNEncoder",
    "GINEncoder",
    "GraphGCNEncoder",
    "HierarchicalGCN",
    "normalized_adjacency",
    "load_encoder",
    "save_encoder",
    "READOUTS",
    "resolve_readout",
    "mean_readout",
    "sum_readout",
    "max_readout",
    "sigmoid_mean_readout",
    "BilinearDiscriminator",
    "ProjectionHead",
    "ShortcutMLP",
]
