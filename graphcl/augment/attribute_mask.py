"""Attribute masking (GraphCL, You et al., NeurIPS 2020, https://arxiv.org/abs/2010.13902)."""
from __future__ import annotations

import numbers

import torch
from torch import Tensor
from torch_geometric.data import Data

from graphcl.augment._graph import (check_finite_features, check_graph_mask, check_ratio, choose_per_group, layout,
                                   new_like, only_in, rand, randn, share)
from graphcl.augment.base import Augmentation

MASK_MODES = ("zero", "token", "gaussian")


def _check_mode(mode: str, mask_value) -> None:
    if mode not in MASK_MODES:
        raise ValueError(f"mode must be one of {MASK_MODES}, got {mode!r}")
    if mode == "token" and mask_value is None:
        raise ValueError("mode='token' needs a mask_value (a number or a feature vector)")
    if mask_value is not None and not isinstance(mask_value, (numbers.Real, Tensor, list, tuple)):
        raise TypeError(f"mask_value must be a number, a sequence or a tensor, got {type(mask_value).__name__}")


def mask_attributes(data: Data, p: float = 0.2, mode: str = "zero", mask_value: float | Tensor | None = None,
                    generator: torch.Generator | None = None, key: str = "x",
                    graph_mask: Tensor | None = None, columns: bool = False) -> Data:
    r"""Overwrite the features of a random share ``p`` of every graph's nodes (or feature columns).

    Each graph with :math:`n` nodes has :math:`\mathrm{round}(p\,n)` rows of ``data[key]`` replaced; with
    ``columns=True`` it has :math:`\mathrm{round}(p\,F)` feature columns replaced in all its nodes instead
    (GRACE's feature masking, Zhu et al. 2020, https://arxiv.org/abs/2006.04131; its official code draws each
    column independently with probability ``p``, here exactly that share is masked). The masked cells get:

    * ``"zero"``: zeros;
    * ``"token"``: ``mask_value`` — a number or a vector of shape ``[F]``; for OGB's categorical atom
      features (``x`` long ``[N, 9]``) pass the mask-token index of each column;
    * ``"gaussian"``: noise :math:`\mathcal{N}(0.5, 0.5^2)`, as the official GraphCL code for TU datasets
      (floating-point features only).

    Args:
        data (Data or Batch): input graph(s) with features ``data[key]`` of shape ``[N, F]``; not modified.
        p (float, optional): share of nodes to mask, in :math:`[0, 1]`. (default: :obj:`0.2`)
        mode (str, optional): ``"zero"``, ``"token"`` or ``"gaussian"``. (default: :obj:`"zero"`)
        mask_value (float or Tensor, optional): the token for ``mode="token"``. (default: :obj:`None`)
        generator (torch.Generator, optional): source of randomness. (default: :obj:`None`)
        key (str, optional): the node feature field to mask. (default: :obj:`"x"`)
        graph_mask (Tensor, optional): boolean ``[B]``, the graphs to augment; the others come back
            unchanged. (default: :obj:`None`, all graphs)
        columns (bool, optional): mask feature columns (one draw per graph) instead of nodes.
            (default: :obj:`False`)

    Returns:
        A new object of the same type; only ``data[key]`` differs.

    Raises:
        ValueError: bad ``p`` or ``mode``, missing features, or NaN in the features.
        TypeError: ``mode="gaussian"`` on integer features.
    """
    p = check_ratio(p)
    _check_mode(mode, mask_value)
    info = layout(data)
    graph_mask = check_graph_mask(graph_mask, info)
    check_finite_features(data, (key,))
    x = data[key]
    if x.size(0) != info.num_nodes:
        raise ValueError(f"field {key!r} has {x.size(0)} rows but the graph has {info.num_nodes} nodes")
    if mode == "gaussian" and not x.is_floating_point():
        raise TypeError(f"mode='gaussian' needs floating-point features, {key!r} has dtype {x.dtype}")
    if columns:
        out = new_like(data)
        out[key] = _mask_columns(x, info, p, mode, mask_value, generator, graph_mask)
        return out
    masked = choose_per_group(info.node_graph, info.num_graphs, only_in(graph_mask, share(info.node_counts, p)),
                              generator, info.node_counts, info.nodes_grouped)
    num_masked = int(masked.sum())
    if mode == "zero":
        fill = torch.zeros((), dtype=x.dtype, device=x.device)
    elif mode == "token":
        fill = torch.as_tensor(mask_value, dtype=x.dtype, device=x.device)
        if fill.dim() > 0 and tuple(fill.shape) != tuple(x.shape[1:]):
            raise ValueError(f"mask_value has shape {tuple(fill.shape)}, features have rows of shape "
                             f"{tuple(x.shape[1:])}")
    else:
        fill = (randn((num_masked, *x.shape[1:]), generator, x.device) * 0.5 + 0.5).to(x.dtype)
    out = new_like(data)
    new_x = x.clone()
    new_x[masked] = fill
    out[key] = new_x
    return out


def _mask_columns(x: Tensor, info, p: float, mode: str, mask_value, generator,
                  graph_mask: Tensor | None = None) -> Tensor:
    """``x`` with ``round(p * F)`` random columns of every graph's rows replaced (only in the graphs of
    ``graph_mask`` when given)."""
    if x.dim() != 2:
        raise ValueError(f"column masking needs features of shape [N, F], got {tuple(x.shape)}")
    num_features = x.size(1)
    k = int(share(torch.tensor([num_features]), p)[0])
    keys = rand(info.num_graphs * num_features, generator, x.device).view(info.num_graphs, num_features)
    chosen = torch.zeros(info.num_graphs, num_features, dtype=torch.bool, device=x.device)
    chosen.scatter_(1, keys.topk(k, dim=1, largest=False).indices, True)
    if graph_mask is not None:
        chosen &= graph_mask.to(x.device).view(-1, 1)
    cells = chosen.index_select(0, info.node_graph)  # [N, F]
    if mode == "zero":
        fill = torch.zeros((), dtype=x.dtype, device=x.device)
    elif mode == "token":
        fill = torch.as_tensor(mask_value, dtype=x.dtype, device=x.device)
        if fill.dim() > 0 and tuple(fill.shape) != (num_features,):
            raise ValueError(f"mask_value has shape {tuple(fill.shape)}, features have {num_features} columns")
    else:
        fill = (randn(tuple(x.shape), generator, x.device) * 0.5 + 0.5).to(x.dtype)
    return torch.where(cells, fill, x)


class MaskAttributes(Augmentation):
    r"""Transform form of :func:`mask_attributes`.

    Args:
        p (float, optional): share of nodes to mask per graph. (default: :obj:`0.2`)
        mode (str, optional): ``"zero"``, ``"token"`` or ``"gaussian"``. (default: :obj:`"zero"`)
        mask_value (float or Tensor, optional): the token for ``mode="token"``. (default: :obj:`None`)
        generator (torch.Generator, optional): source of randomness. (default: :obj:`None`)
        key (str, optional): the node feature field to mask. (default: :obj:`"x"`)
        columns (bool, optional): mask feature columns instead of nodes (GRACE). (default: :obj:`False`)
    """

    def __init__(self, p: float = 0.2, mode: str = "zero", mask_value: float | Tensor | None = None,
                 generator: torch.Generator | None = None, key: str = "x", columns: bool = False) -> None:
        super().__init__(p, generator)
        _check_mode(mode, mask_value)
        self.mode = mode
        self.mask_value = mask_value
        self.key = key
        self.columns = bool(columns)

    def forward(self, data: Data) -> Data:
        return mask_attributes(data, self.p, mode=self.mode, mask_value=self.mask_value,
                               generator=self.generator, key=self.key, columns=self.columns)

    def _forward_graphs(self, data: Data, graph_mask: Tensor) -> Data:
        return mask_attributes(data, self.p, mode=self.mode, mask_value=self.mask_value,
                               generator=self.generator, key=self.key, graph_mask=graph_mask, columns=self.columns)

    def _extra_repr(self) -> str:
        extra = f"mode={self.mode!r}"
        if self.columns:
            extra += ", columns=True"
        if self.mask_value is not None:
            extra += f", mask_value={self.mask_value}"
        return extra
