"""Evaluation protocols on frozen embeddings."""
from graphcl.eval.linear_probe import LinearProbeResult, linear_probe

__all__ = ["LinearProbeResult", "linear_probe"]
