"""Jensen-Shannon mutual-information estimator (f-GAN, Nowozin et al. 2016; InfoGraph, Sun et al. 2020)."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphcl.losses.binary_cross_entropy import _check_logits

_LOG2 = math.log(2.0)


def jensen_shannon_loss(pos_scores: Tensor, neg_scores: Tensor) -> Tensor:
    r"""Negative Jensen-Shannon MI estimate, as in `InfoGraph <https://arxiv.org/abs/1908.01000>`_.

    :math:`\mathbb{E}_{neg}[\mathrm{softplus}(n) - \log 2] - \mathbb{E}_{pos}[\log 2 - \mathrm{softplus}(-p)]`.
    Lower is better; the minimum is :math:`-2\log 2`. Up to that constant it equals the binary
    cross-entropy with positives and negatives averaged separately.

    Args:
        pos_scores (Tensor): scores of positive pairs, any shape.
        neg_scores (Tensor): scores of negative pairs, any shape.

    Returns:
        Tensor: scalar loss.
    """
    pos = _check_logits("pos_scores", pos_scores)
    neg = _check_logits("neg_scores", neg_scores)
    expected_pos = _LOG2 - F.softplus(-pos)
    expected_neg = F.softplus(neg) - _LOG2
    return expected_neg.mean() - expected_pos.mean()


class JensenShannonLoss(nn.Module):
    """Module form of :func:`jensen_shannon_loss`."""

    def forward(self, pos_scores: Tensor, neg_scores: Tensor) -> Tensor:
        return jensen_shannon_loss(pos_scores, neg_scores)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


def local_global_jensen_shannon_loss(node_embeddings: Tensor, graph_embeddings: Tensor, batch: Tensor) -> Tensor:
    r"""InfoGraph's local-global objective (Sun et al., ICLR 2020, https://arxiv.org/abs/1908.01000).

    Every node (patch) is scored against every graph summary with a dot product. The pair (node ``i``, its
    own graph ``batch[i]``) is a positive; the pairs with the other ``B - 1`` graphs of the batch are
    negatives. Returns :func:`jensen_shannon_loss` of the ``N`` positive and ``N (B - 1)`` negative scores,
    i.e. the negative JSD mutual-information estimate, averaged as the official code does (positives over
    ``N``, negatives over ``N (B - 1)``). MVGRL (Hassani & Khasahmadi, ICML 2020) uses it across views.

    The ``[N, B]`` score matrix is needed anyway; positives are gathered by index and the negatives'
    sum is the full sum minus the positives', so no ``[N, B]`` mask is built.

    Args:
        node_embeddings (Tensor): node (patch) embeddings, shape ``[N, d]``.
        graph_embeddings (Tensor): graph embeddings, shape ``[B, d]``, ``B >= 2``.
        batch (Tensor): graph index of every node in ``[0, B)``, shape ``[N]``.

    Returns:
        Tensor: scalar loss (lower is better; the minimum is :math:`-2\log 2`).
    """
    if node_embeddings.dim() != 2 or graph_embeddings.dim() != 2:
        raise ValueError(f"expected node embeddings [N, d] and graph embeddings [B, d], got "
                         f"{tuple(node_embeddings.shape)} and {tuple(graph_embeddings.shape)}")
    if node_embeddings.size(1) != graph_embeddings.size(1):
        raise ValueError(f"node embeddings have {node_embeddings.size(1)} channels but graph embeddings "
                         f"{graph_embeddings.size(1)}")
    num_nodes, num_graphs = node_embeddings.size(0), graph_embeddings.size(0)
    if num_graphs < 2:
        raise ValueError("the local-global loss needs at least 2 graphs in a batch (negatives come from "
                         "the other graphs)")
    if batch.dim() != 1 or batch.numel() != num_nodes:
        raise ValueError(f"batch must have shape [{num_nodes}], got {tuple(batch.shape)}")
    if batch.dtype not in (torch.int32, torch.int64):
        raise TypeError(f"batch must be an integer tensor, got {batch.dtype}")
    if num_nodes == 0:
        raise ValueError("no nodes to score")
    if int(batch.min()) < 0 or int(batch.max()) >= num_graphs:
        raise ValueError(f"batch refers to graphs outside [0, {num_graphs})")
    scores = node_embeddings @ graph_embeddings.t()
    positive = scores.gather(1, batch.view(-1, 1)).view(-1)
    expected_pos = (_LOG2 - F.softplus(-positive)).sum() / num_nodes
    negative_sum = F.softplus(scores).sum() - F.softplus(positive).sum()
    expected_neg = negative_sum / (num_nodes * (num_graphs - 1)) - _LOG2
    return expected_neg - expected_pos


class LocalGlobalJensenShannonLoss(nn.Module):
    """Module form of :func:`local_global_jensen_shannon_loss`: ``loss(node_embeddings, graph_embeddings,
    batch)``."""

    def forward(self, node_embeddings: Tensor, graph_embeddings: Tensor, batch: Tensor) -> Tensor:
        return local_global_jensen_shannon_loss(node_embeddings, graph_embeddings, batch)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"
