"""Encoders, readouts, discriminators and projection heads."""
from graphcl.nn.hierarchical_gcn import HierarchicalGCN
from graphcl.nn.output import EncoderOutput

__all__ = ["EncoderOutput", "HierarchicalGCN"]
