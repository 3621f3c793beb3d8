r"""JOAO and JOAOv2: joint augmentation optimization (You et al., ICML 2021, https://arxiv.org/abs/2106.07594).

JOAO trains GraphCL on augmentation pairs drawn from a distribution :math:`p` over the 25 pairs of
{node drop, subgraph, edge perturbation, attribute masking, identity} and, after every epoch, moves
:math:`p` towards the pairs with the highest contrastive loss by projected gradient ascent:
:math:`p \leftarrow \Pi_\Delta(p + \beta(\ell - \gamma(p - 1/K)))`. JOAOv2 adds one projection head per
augmentation type.
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import torch
from torch import Tensor, nn
from torch_geometric.data import Data

from graphcl.augment import AUGMENTATIONS, JOAO_AUGMENTATIONS
from graphcl.losses.nt_xent import NTXentLoss
from graphcl.methods.base import Method, encode_graphs, encoder_channels, resolve_augmentations
from graphcl.methods.graphcl_graph import LossFunction, projection_head
from graphcl.nn.projection import ProjectionHead


def project_simplex(values: Tensor) -> Tensor:
    r"""Euclidean projection onto the probability simplex, exact and sort-based.

    Returns :math:`\arg\min_{p \ge 0,\ \sum p = 1} \lVert p - v \rVert_2`
    (Held et al. 1974; Duchi et al., ICML 2008): sort :math:`v` decreasingly, find the largest :math:`\rho`
    with :math:`u_\rho - (\sum_{i \le \rho} u_i - 1)/\rho > 0` and shift by that threshold.

    Args:
        values (Tensor): vector ``[K]``.

    Returns:
        Tensor: ``[K]``, non-negative, summing to one.
    """
    if values.dim() != 1 or values.numel() == 0:
        raise ValueError(f"expected a non-empty vector, got shape {tuple(values.shape)}")
    if not bool(torch.isfinite(values).all()):
        raise ValueError("cannot project a vector with NaN or infinite entries")
    sorted_values, _ = torch.sort(values, descending=True)
    cumulative = torch.cumsum(sorted_values, dim=0) - 1
    ranks = torch.arange(1, values.numel() + 1, dtype=values.dtype, device=values.device)
    support = (sorted_values - cumulative / ranks) > 0
    rho = int(support.nonzero().max())
    threshold = cumulative[rho] / (rho + 1)
    return torch.clamp(values - threshold, min=0)


def augmentation_name(augmentation: str | Callable) -> str:
    """The pool name of an augmentation: its registered name (``"attr_mask"`` for a
    :class:`~graphcl.augment.MaskAttributes`), else its function or class name."""
    if isinstance(augmentation, str):
        return augmentation
    for name, cls in AUGMENTATIONS.items():
        if type(augmentation) is cls:
            return name
    return getattr(augmentation, "__name__", type(augmentation).__name__)


class AugmentationPairDistribution(nn.Module):
    r"""JOAO's distribution over ordered augmentation pairs, updated by projected gradient ascent.

    ``probs[i * A + j]`` is the probability of augmenting the first view with ``names[i]`` and the second
    with ``names[j]``. It starts uniform and is a buffer, so it travels with ``state_dict`` and checkpoints.

    Args:
        names (sequence of str, optional): the augmentation pool. (default: :data:`JOAO_AUGMENTATIONS`)
        gamma (float, optional): weight of the pull back to uniform (code default 0.1). (default: ``0.1``)
        beta (float, optional): ascent step size. (default: :obj:`1.0`)

    Example:
        >>> dist = AugmentationPairDistribution()
        >>> dist.probs.shape
        torch.Size([25])
    """

    def __init__(self, names: Sequence[str] = JOAO_AUGMENTATIONS, gamma: float = 0.1, beta: float = 1.0) -> None:
        super().__init__()
        self.names = tuple(names)
        if not self.names:
            raise ValueError("the augmentation pool is empty")
        if not gamma >= 0:
            raise ValueError(f"gamma must be non-negative, got {gamma!r}")
        if not beta > 0:
            raise ValueError(f"beta must be positive, got {beta!r}")
        self.gamma = float(gamma)
        self.beta = float(beta)
        self.num_pairs = len(self.names) ** 2
        self.register_buffer("probs", torch.full((self.num_pairs,), 1.0 / self.num_pairs, dtype=torch.float64))

    def pair(self, index: int) -> tuple[int, int]:
        """The augmentation indices ``(i, j)`` of pair ``index``."""
        if not 0 <= index < self.num_pairs:
            raise ValueError(f"pair index {index} outside [0, {self.num_pairs})")
        return divmod(int(index), len(self.names))

    def pair_names(self) -> list[str]:
        return [f"{a}+{b}" for a in self.names for b in self.names]

    def sample(self, generator: Optional[torch.Generator] = None) -> tuple[int, int]:
        """Draw a pair ``(i, j)`` of augmentation indices according to :attr:`probs`."""
        index = int(torch.multinomial(self.probs.cpu(), 1, generator=generator))
        return self.pair(index)

    @torch.no_grad()
    def update(self, pair_losses: Tensor | Sequence[float]) -> Tensor:
        r"""One projected ascent step :math:`p \leftarrow \Pi_\Delta(p + \beta(\ell - \gamma(p - 1/K)))`.

        Args:
            pair_losses (Tensor or sequence): each pair's estimated contrastive loss, ``[K]``.

        Returns:
            Tensor: the new probabilities (also stored in :attr:`probs`).
        """
        losses = torch.as_tensor(pair_losses, dtype=torch.float64, device=self.probs.device).view(-1)
        if losses.numel() != self.num_pairs:
            raise ValueError(f"expected {self.num_pairs} pair losses, got {losses.numel()}")
        if not bool(torch.isfinite(losses).all()):
            raise ValueError("pair losses contain NaN or infinite values")
        step = self.probs + self.beta * (losses - self.gamma * (self.probs - 1.0 / self.num_pairs))
        self.probs.copy_(project_simplex(step))
        return self.probs.clone()

    def extra_repr(self) -> str:
        return f"names={list(self.names)}, gamma={self.gamma:g}, beta={self.beta:g}"


class JOAO(Method):
    r"""GraphCL with augmentation pairs chosen by JOAO's min-max optimization.

    Each training batch draws one pair ``(i, j)`` from :attr:`distribution` and augments the two views with
    pool members ``i`` and ``j`` (each graph gets its own random nodes/edges). :meth:`on_epoch_end` estimates
    every pair's loss on about ``estimate_fraction`` of the data and updates the distribution.

    Args:
        encoder (nn.Module): graph encoder with ``out_channels`` (e.g. :class:`~graphcl.nn.GINEncoder`).
        augmentations (sequence, optional): the pool: augmentation names and/or callables ``Data -> Data``.
            (default: :data:`JOAO_AUGMENTATIONS`)
        p (float, optional): strength of every named augmentation. (default: :obj:`0.2`)
        gamma (float, optional): regularizer towards uniform. (default: :obj:`0.1`)
        beta (float, optional): ascent step. (default: :obj:`1.0`)
        temperature (float, optional): NT-Xent temperature. (default: :obj:`0.2`)
        exclude_positive (bool, optional): official NT-Xent denominator. (default: :obj:`True`)
        loss (callable, optional): any ``(z1, z2) -> scalar`` replacing NT-Xent. (default: :obj:`None`)
        estimate_fraction (float, optional): share of the batches used per pair to estimate losses.
            (default: :obj:`0.1`)
        mask_mode (str, optional): fill of attribute masking. (default: :obj:`"gaussian"`)
        generator (torch.Generator, optional): source of pair draws and augmentations. (default: ``None``)

    Shapes:
        - :meth:`loss`: a batch of ``B`` graphs -> scalar
        - :meth:`embed`: -> ``[B, d]`` graph embeddings (encoder output, not projected)
    """

    def __init__(self, encoder: nn.Module, augmentations: Sequence[str | Callable] = JOAO_AUGMENTATIONS,
                 p: float = 0.2, gamma: float = 0.1, beta: float = 1.0, temperature: float = 0.2,
                 exclude_positive: bool = True, loss: Optional[LossFunction] = None,
                 estimate_fraction: float = 0.1, mask_mode: str = "gaussian",
                 generator: Optional[torch.Generator] = None) -> None:
        super().__init__(generator)
        channels = encoder_channels(encoder)
        if isinstance(augmentations, str):
            raise TypeError("augmentations must be a sequence of augmentation names or callables, not a string")
        if not 0 < estimate_fraction <= 1:
            raise ValueError(f"estimate_fraction must lie in (0, 1], got {estimate_fraction!r}")
        if loss is not None and not callable(loss):
            raise TypeError("loss must be a callable (z1, z2) -> scalar")
        self.encoder = encoder
        self.transforms = resolve_augmentations(list(augmentations), p, mask_mode, generator)
        self.augmentation_names = tuple(augmentation_name(item) for item in augmentations)
        self.p = float(p)
        self.distribution = AugmentationPairDistribution(self.augmentation_names, gamma=gamma, beta=beta)
        self.estimate_fraction = float(estimate_fraction)
        self.loss_fn = loss if loss is not None else NTXentLoss(temperature, exclude_positive=exclude_positive)
        self._build_heads(channels)
        self.probs_history: list[list[float]] = [self.distribution.probs.tolist()]

    def _build_heads(self, channels: int) -> None:
        self.projection = projection_head(channels)

    def reset_parameters(self) -> None:
        self.encoder.reset_parameters()
        for module in self.modules():
            if isinstance(module, ProjectionHead):
                module.reset_xavier()

    def head(self, augmentation_index: int) -> nn.Module:
        """The projection head used for a view augmented by pool member ``augmentation_index``."""
        return self.projection

    def pair_loss(self, data: Data, pair: tuple[int, int]) -> Tensor:
        """Contrastive loss of ``data`` under the augmentation pair ``(i, j)``."""
        first_index, second_index = pair
        first = self.transforms[first_index](data)
        second = self.transforms[second_index](data)
        z1 = self.head(first_index)(encode_graphs(self.encoder, first))
        z2 = self.head(second_index)(encode_graphs(self.encoder, second))
        return self.loss_fn(z1, z2)

    def loss(self, data: Data) -> Tensor:
        """Loss of a batch under one pair drawn from the current distribution."""
        return self.pair_loss(data, self.distribution.sample(self.generator))

    @torch.no_grad()
    def estimate_pair_losses(self, loader) -> Tensor:
        """Every pair's mean loss per graph on the first ``len(loader) // round(1 / estimate_fraction) + 1``
        batches of one pass over ``loader`` (about ``estimate_fraction`` of the data).

        All pairs are scored on the same batches (a paired estimate). Runs in training mode (batch
        statistics, as during training) without gradients; batch-norm running statistics are restored
        afterwards so the estimate leaves the model unchanged.
        """
        device = next(self.parameters()).device
        num_batches = len(loader) // max(1, round(1 / self.estimate_fraction)) + 1
        batches = []
        for step, batch in enumerate(loader):
            if step >= num_batches:
                break
            batches.append(batch.to(device))
        if not batches:
            raise ValueError("cannot estimate pair losses on an empty loader")
        saved = {name: buffer.clone() for name, buffer in self.encoder.named_buffers()}
        losses = torch.zeros(self.distribution.num_pairs, dtype=torch.float64)
        was_training = self.training
        self.train()
        try:
            graphs = 0
            for batch in batches:
                # two independent augmented copies per pool member, encoded once each: every pair (i, j)
                # then combines first-view copy i with second-view copy j (10 encodings instead of 50)
                size = int(batch.num_graphs)
                first = [self.head(i)(encode_graphs(self.encoder, t(batch))) for i, t in enumerate(self.transforms)]
                second = [self.head(j)(encode_graphs(self.encoder, t(batch))) for j, t in enumerate(self.transforms)]
                for index in range(self.distribution.num_pairs):
                    i, j = self.distribution.pair(index)
                    losses[index] += float(self.loss_fn(first[i], second[j])) * size
                graphs += size
            losses /= graphs
        finally:
            for name, buffer in self.encoder.named_buffers():
                buffer.copy_(saved[name])
            self.train(was_training)
        return losses

    def on_epoch_end(self, loader) -> dict[str, Any]:
        """Estimate the pair losses and take one projected ascent step on the distribution."""
        losses = self.estimate_pair_losses(loader)
        probs = self.distribution.update(losses)
        self.probs_history.append(probs.tolist())
        return {"pair_losses": losses.tolist(), "aug_probs": probs.tolist()}

    def embedding(self, data: Data) -> Tensor:
        """Encoder graph embeddings ``[B, d]`` (not projected)."""
        return encode_graphs(self.encoder, data)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(encoder={self.encoder!r}, augmentations="
                f"{list(self.augmentation_names)}, p={self.p:g}, gamma={self.distribution.gamma:g})")


class JOAOv2(JOAO):
    r"""JOAO with one projection head per augmentation type (You et al., ICML 2021).

    The view augmented by pool member ``i`` goes through head ``i``, which decouples the projected spaces of
    the different augmentations. Paper settings on TU: lr 0.001, 40 epochs. Arguments as :class:`JOAO`.
    """

    def _build_heads(self, channels: int) -> None:
        self.projections = nn.ModuleList(projection_head(channels) for _ in self.augmentation_names)

    def head(self, augmentation_index: int) -> nn.Module:
        return self.projections[augmentation_index]
