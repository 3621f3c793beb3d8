"""Debiased (Chuang et al. 2020) and hard-negative (Robinson et al. 2021) contrastive losses."""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from graphcl.losses._checks import check_fraction, check_non_negative, check_pair, check_positive
from graphcl.losses._pairs import two_view_logits


def _debiased_loss(z1: Tensor, z2: Tensor, temperature: float, tau_plus: float, beta: float) -> Tensor:
    check_pair(z1, z2)
    if z1.size(0) < 2:
        raise ValueError("the debiased contrastive loss needs at least 2 samples per view")
    positive, negative = two_view_logits(z1, z2, temperature)
    num_negatives = negative.size(1)
    # log of the (importance-reweighted) negative sum, N * sum(e^{(b+1)l}) / sum(e^{b l}); b = 0 gives sum(e^l)
    if beta == 0:
        log_negative = torch.logsumexp(negative, dim=1)
    else:
        log_negative = (torch.logsumexp((beta + 1) * negative, dim=1) - torch.logsumexp(beta * negative, dim=1)
                        + math.log(num_negatives))
    if tau_plus > 0:
        # log(R - N tau+ e^{pos}) computed as log R + log1p(-x); the estimate is clamped where x >= 1
        log_ratio = math.log(num_negatives * tau_plus) + positive - log_negative
        valid = log_ratio < 0
        # mask before exp so that no inf or NaN reaches the gradient of the clamped entries
        safe = torch.exp(torch.where(valid, log_ratio, torch.full_like(log_ratio, -math.inf)))
        corrected = torch.where(valid, log_negative + torch.log1p(-safe), torch.full_like(log_ratio, -math.inf))
        log_negative = corrected - math.log(1 - tau_plus)
    floor = math.log(num_negatives) - 1.0 / temperature
    log_negative = torch.clamp(log_negative, min=floor)
    return (torch.logaddexp(positive, log_negative) - positive).mean()


def debiased_contrastive_loss(z1: Tensor, z2: Tensor, temperature: float = 0.5, tau_plus: float = 0.1) -> Tensor:
    r"""Debiased contrastive loss of `Chuang et al. 2020 <https://arxiv.org/abs/2007.00224>`_.

    In-batch negatives may share the anchor's latent class with prior ``tau_plus``; the negative term is
    corrected to :math:`N_g = \max\left(\frac{\sum_j e^{s_j} - N\tau^+ e^{s^+}}{1 - \tau^+}, N e^{-1/t}\right)`
    and the loss is :math:`-\log\frac{e^{s^+}}{e^{s^+} + N_g}` over the ``2B`` anchors of both views
    (``N = 2B - 2`` negatives each, cosine similarity / ``temperature``). ``tau_plus=0`` is NT-Xent.
    Evaluated in log space, so small temperatures do not overflow.

    Args:
        z1 (Tensor): first view ``[B, d]``.
        z2 (Tensor): second view ``[B, d]``.
        temperature (float, optional): temperature ``t`` (default: ``0.5``).
        tau_plus (float, optional): class prior :math:`\tau^+ \in [0, 1)` (default: ``0.1``).

    Returns:
        Tensor: scalar loss.
    """
    temperature = check_positive("temperature", temperature)
    tau_plus = check_fraction("tau_plus", tau_plus)
    return _debiased_loss(z1, z2, temperature, tau_plus, 0.0)


def hard_negative_contrastive_loss(z1: Tensor, z2: Tensor, temperature: float = 0.5, tau_plus: float = 0.1,
                                   beta: float = 1.0) -> Tensor:
    r"""Hard-negative contrastive loss of `Robinson et al. 2021 <https://arxiv.org/abs/2010.04592>`_.

    Negatives are importance-weighted by :math:`w_j \propto e^{\beta s_j}` (harder = more similar negatives
    weigh more): the negative sum becomes :math:`\sum_j w_j e^{s_j}` with :math:`\bar w = 1`, then the
    debiasing correction of :func:`debiased_contrastive_loss` is applied. ``beta=0`` is the debiased loss.

    Args:
        z1 (Tensor): first view ``[B, d]``.
        z2 (Tensor): second view ``[B, d]``.
        temperature (float, optional): temperature ``t`` (default: ``0.5``).
        tau_plus (float, optional): class prior :math:`\tau^+ \in [0, 1)` (default: ``0.1``).
        beta (float, optional): concentration :math:`\beta \ge 0` (default: ``1.0``).

    Returns:
        Tensor: scalar loss.
    """
    temperature = check_positive("temperature", temperature)
    tau_plus = check_fraction("tau_plus", tau_plus)
    beta = check_non_negative("beta", beta)
    return _debiased_loss(z1, z2, temperature, tau_plus, beta)


class DebiasedContrastiveLoss(nn.Module):
    """Module form of :func:`debiased_contrastive_loss`."""

    def __init__(self, temperature: float = 0.5, tau_plus: float = 0.1) -> None:
        super().__init__()
        self.temperature = check_positive("temperature", temperature)
        self.tau_plus = check_fraction("tau_plus", tau_plus)

    def forward(self, z1: Tensor, z2: Tensor) -> Tensor:
        return debiased_contrastive_loss(z1, z2, self.temperature, self.tau_plus)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(temperature={self.temperature}, tau_plus={self.tau_plus})"


class HardNegativeContrastiveLoss(nn.Module):
    """Module form of :func:`hard_negative_contrastive_loss`."""

    def __init__(self, temperature: float = 0.5, tau_plus: float = 0.1, beta: float = 1.0) -> None:
        super().__init__()
        self.temperature = check_positive("temperature", temperature)
        self.tau_plus = check_fraction("tau_plus", tau_plus)
        self.beta = check_non_negative("beta", beta)

    def forward(self, z1: Tensor, z2: Tensor) -> Tensor:
        return hard_negative_contrastive_loss(z1, z2, self.temperature, self.tau_plus, self.beta)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(temperature={self.temperature}, tau_plus={self.tau_plus}, "
                f"beta={self.beta})")
