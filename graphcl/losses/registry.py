"""Two-view losses by name, for methods and benchmarks that take the loss as a setting."""
from __future__ import annotations

from typing import Any, Callable

from torch import nn

from graphcl.losses.binary_cross_entropy import bce_contrastive_loss
from graphcl.losses.debiased import DebiasedContrastiveLoss, HardNegativeContrastiveLoss
from graphcl.losses.jensen_shannon import jensen_shannon_loss
from graphcl.losses.margin import MarginContrastiveLoss, TripletLoss
from graphcl.losses.n_pair import NPairLoss
from graphcl.losses.nt_xent import NTXentLoss
from graphcl.losses.scores import CrossViewScoreLoss

#: Every two-view loss: name -> factory taking the loss's keyword arguments. Each built loss is called as
#: ``loss(z1, z2)`` with row ``i`` of both views a positive pair.
TWO_VIEW_LOSSES: dict[str, Callable[..., nn.Module]] = {
    "nt_xent": lambda **kw: NTXentLoss(**kw),
    "nt_xent_graphcl": lambda **kw: NTXentLoss(**{"exclude_positive": True, **kw}),
    "debiased": lambda **kw: DebiasedContrastiveLoss(**kw),
    "hard_negative": lambda **kw: HardNegativeContrastiveLoss(**kw),
    "margin": lambda **kw: MarginContrastiveLoss(**kw),
    "triplet": lambda **kw: TripletLoss(**kw),
    "n_pair": lambda **kw: NPairLoss(**kw),
    "jensen_shannon": lambda **kw: CrossViewScoreLoss(jensen_shannon_loss, **kw),
    "bce": lambda **kw: CrossViewScoreLoss(bce_contrastive_loss, **kw),
}


def make_two_view_loss(name: str, **kwargs: Any) -> nn.Module:
    """Build a two-view loss by name (see :data:`TWO_VIEW_LOSSES`), e.g.
    ``make_two_view_loss("debiased", temperature=0.2, tau_plus=0.1)``."""
    if name not in TWO_VIEW_LOSSES:
        raise ValueError(f"unknown loss {name!r}; choose from {sorted(TWO_VIEW_LOSSES)}")
    return TWO_VIEW_LOSSES[name](**kwargs)
