"""graphcl.eval"""
from graphcl.eval.svm import svm_cross_validation

__all__ = ["svm_cross_validation"]
