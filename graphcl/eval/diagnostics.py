"""Diagnostics of an embedding space: alignment and uniformity (Wang & Isola 2020), and a 2-D plot."""
from __future__ import annotations

import io
import math
import os
from pathlib import Path
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from graphcl.losses._checks import check_embeddings, check_pair, check_positive
from graphcl.utils.io import _atomic_replace


def alignment(z1: Tensor, z2: Tensor, alpha: float = 2.0) -> Tensor:
    r"""Alignment :math:`\mathbb{E}\,\lVert f(x) - f(y) \rVert_2^\alpha` over positive pairs.

    `Wang & Isola 2020 <https://arxiv.org/abs/2005.10242>`_; rows are L2-normalised first, so the value lies
    in :math:`[0, 2^\alpha]`; ``0`` means positive pairs coincide. Lower is better.

    Args:
        z1 (Tensor): ``[N, d]``, row ``i`` paired with row ``i`` of ``z2``.
        z2 (Tensor): ``[N, d]``.
        alpha (float, optional): exponent :math:`\alpha > 0` (default: ``2``).

    Returns:
        Tensor: scalar (differentiable, so it can also serve as a loss term).
    """
    alpha = check_positive("alpha", alpha)
    check_pair(z1, z2)
    z1, z2 = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    return (z1 - z2).norm(dim=1).pow(alpha).mean()


def uniformity(z: Tensor, t: float = 2.0, chunk_size: int = 2048) -> Tensor:
    r"""Uniformity :math:`\log \mathbb{E}_{i \ne j}\, e^{-t \lVert f(x_i) - f(x_j) \rVert_2^2}`.

    `Wang & Isola 2020 <https://arxiv.org/abs/2005.10242>`_; rows are L2-normalised first. A collapsed space
    (all rows equal) gives the maximum, ``0``; well-spread embeddings give negative values, down to about
    ``-t·2`` on a high-dimensional sphere. Lower is better. Computed in row chunks so large node sets fit.

    Args:
        z (Tensor): ``[N, d]``, ``N >= 2``.
        t (float, optional): :math:`t > 0` (default: ``2``).
        chunk_size (int, optional): rows per chunk (default: ``2048``).

    Returns:
        Tensor: scalar.
    """
    t = check_positive("t", t)
    check_embeddings("z", z)
    num = z.size(0)
    if num < 2:
        raise ValueError("uniformity needs at least 2 embeddings")
    z = F.normalize(z, dim=1)
    parts = []
    for start in range(0, num, chunk_size):
        rows = z[start:start + chunk_size]
        # squared distance between unit vectors: 2 - 2 cos, clamped against rounding below 0
        distance2 = (2 - 2 * rows @ z.t()).clamp_min(0)
        index = torch.arange(start, start + rows.size(0), device=z.device)
        distance2[torch.arange(rows.size(0), device=z.device), index] = math.inf
        parts.append(torch.logsumexp(-t * distance2, dim=1))
    return torch.logsumexp(torch.cat(parts), dim=0) - math.log(num * (num - 1))


def plot_embeddings(
    z: Tensor,
    path: str | os.PathLike,
    labels: Optional[Tensor] = None,
    method: str = "pca",
    title: Optional[str] = None,
    seed: int = 0,
) -> Path:
    """Project embeddings to 2-D and save a scatter plot coloured by label as a PNG.

    Requires matplotlib (``pip install 'graphcl[plot]'``); t-SNE uses scikit-learn.

    Args:
        z (Tensor): embeddings ``[N, d]``.
        path (str or PathLike): output ``.png`` file (written atomically).
        labels (Tensor, optional): ``[N]`` integer labels for the colours (default: ``None``).
        method (str, optional): ``"pca"`` or ``"tsne"`` (default: ``"pca"``).
        title (str, optional): figure title.
        seed (int, optional): seed of the t-SNE initialisation (default: ``0``).

    Returns:
        Path: the written file.
    """
    if method not in ("pca", "tsne"):
        raise ValueError(f"method must be 'pca' or 'tsne', got {method!r}")
    check_embeddings("z", z)
    if z.size(0) < 2:
        raise ValueError("plotting needs at least 2 embeddings")
    if labels is not None and (labels.dim() != 1 or labels.size(0) != z.size(0)):
        raise ValueError(f"labels must have shape [{z.size(0)}], got {tuple(labels.shape)}")
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"the plot is written as PNG: give a path ending in .png, got {path}")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            "plot_embeddings needs matplotlib: install it with  pip install 'graphcl[plot]'  "
            "(or  pip install matplotlib)") from error

    points = _project(z.detach().float().cpu(), method, seed)
    figure, axis = plt.subplots(figsize=(5, 5))
    colours = labels.detach().cpu().numpy() if labels is not None else None
    scatter = axis.scatter(points[:, 0], points[:, 1], c=colours, s=8, cmap="tab10" if colours is not None else None)
    if colours is not None:
        axis.legend(*scatter.legend_elements(), title="label", loc="best", fontsize="small")
    axis.set_title(title or f"{method.upper()} of {z.size(0)} embeddings")
    axis.set_xticks([])
    axis.set_yticks([])
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
    plt.close(figure)
    return _atomic_replace(path, lambda handle: handle.write(buffer.getvalue()))


def _project(z: Tensor, method: str, seed: int):
    if method == "pca" or z.size(1) <= 2:
        centred = z - z.mean(dim=0, keepdim=True)
        if z.size(1) == 1:
            return torch.cat([centred, torch.zeros_like(centred)], dim=1).numpy()
        _, _, v = torch.linalg.svd(centred, full_matrices=False)
        return (centred @ v[:2].t()).numpy()
    from sklearn.manifold import TSNE

    perplexity = min(30.0, max(2.0, (z.size(0) - 1) / 3))
    return TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(z.numpy())
