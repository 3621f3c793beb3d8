"""graphcl.methods"""
from graphcl.methods.cg3 import CG3

__all__ = ["CG3"]
