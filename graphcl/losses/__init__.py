"""Contrastive objectives on embeddings: each a function and an ``nn.Module`` returning a scalar, lower is
better. Two-view losses share the call ``loss(z1, z2, **keyword_args)`` (row ``i`` of each view is a
positive pair), so any of them can be handed to a method's ``loss`` argument."""
from graphcl.losses.binary_cross_entropy import BCEContrastiveLoss, bce_contrastive_loss
from graphcl.losses.bootstrap import BYOLLoss, SimSiamLoss, byol_loss, simsiam_loss
from graphcl.losses.debiased import (
    DebiasedContrastiveLoss,
    HardNegativeContrastiveLoss,
    debiased_contrastive_loss,
    hard_negative_contrastive_loss,
)
from graphcl.losses.jensen_shannon import (
    JensenShannonLoss,
    LocalGlobalJensenShannonLoss,
    jensen_shannon_loss,
    local_global_jensen_shannon_loss,
)
from graphcl.losses.margin import MarginContrastiveLoss, TripletLoss, margin_contrastive_loss, triplet_loss
from graphcl.losses.n_pair import NPairLoss, n_pair_loss
from graphcl.losses.nt_xent import NTXentLoss, nt_xent_loss
from graphcl.losses.queue import MomentumQueue, info_nce_loss
from graphcl.losses.registry import TWO_VIEW_LOSSES, make_two_view_loss
from graphcl.losses.scores import CrossViewScoreLoss, cross_view_scores
from graphcl.losses.supervised_contrastive import SupervisedContrastiveLoss, supervised_contrastive_loss

__all__ = [
    "nt_xent_loss",
    "NTXentLoss",
    "bce_contrastive_loss",
    "BCEContrastiveLoss",
    "jensen_shannon_loss",
    "JensenShannonLoss",
    "local_global_jensen_shannon_loss",
    "LocalGlobalJensenShannonLoss",
    "supervised_contrastive_loss",
    "SupervisedContrastiveLoss",
    "margin_contrastive_loss",
    "MarginContrastiveLoss",
    "triplet_loss",
    "TripletLoss",
    "n_pair_loss",
    "NPairLoss",
    "debiased_contrastive_loss",
    "DebiasedContrastiveLoss",
    "hard_negative_contrastive_loss",
    "HardNegativeContrastiveLoss",
    "byol_loss",
    "BYOLLoss",
    "simsiam_loss",
    "SimSiamLoss",
    "info_nce_loss",
    "MomentumQueue",
    "cross_view_scores",
    "CrossViewScoreLoss",
    "TWO_VIEW_LOSSES",
    "make_two_view_loss",
]
