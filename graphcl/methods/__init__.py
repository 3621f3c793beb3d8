"""graphcl.methods"""
from graphcl.methods.graphcl_graph import GraphCL
from graphcl.methods.joao import JOAO, AugmentationPairDistribution, JOAOv2

__all__ = ["GraphCL", "JOAO", "JOAOv2", "AugmentationPairDistribution"]
