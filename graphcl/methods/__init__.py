"""graphcl.methods"""
from graphcl.methods.bgrl import BGRL, GraphBGRL
from graphcl.methods.moco import MoCo
from graphcl.methods.simsiam import SimSiam

__all__ = ["BGRL", "GraphBGRL", "MoCo", "SimSiam"]
