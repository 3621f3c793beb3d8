"""Contrastive objectives on embeddings: each a function and an ``nn.Module`` returning a scalar, lower is
better. Two-view losses share the call ``loss(z1, z2, **keyword_args)``."""
from graphcl.losses.binary_cross_entropy import BCEContrastiveLoss, bce_contrastive_loss
from graphcl.losses.jensen_shannon import JensenShannonLoss, jensen_shannon_loss
from graphcl.losses.nt_xent import NTXentLoss, nt_xent_loss
from graphcl.losses.supervised_contrastive import SupervisedContrastiveLoss, supervised_contrastive_loss

__all__ = [
    "nt_xent_loss",
    "NTXentLoss",
    "bce_contrastive_loss",
    "BCEContrastiveLoss",
    "jensen_shannon_loss",
    "JensenShannonLoss",
    "supervised_contrastive_loss",
    "SupervisedContrastiveLoss",
]
