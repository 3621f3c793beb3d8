"""graphcl.eval"""
from graphcl.eval.diagnostics import alignment, plot_embeddings, uniformity

__all__ = ["alignment", "uniformity", "plot_embeddings"]
