r"""Graph convolutional encoder (Kipf & Welling, ICLR 2017, https://arxiv.org/abs/1609.02907) in the form
Deep Graph Infomax uses it: linear map, propagation with the symmetrically normalized adjacency with
self-loops, bias, PReLU.

Message passing is a sparse matrix product with a CSR copy of
:math:`\hat{A} = D^{-1/2}(A + I)D^{-1/2}`. Bag-of-words features (Cora, CiteSeer: about 1% non-zero) are
multiplied in CSR form as well, which makes the first layer several times cheaper than a dense product.
Both sparse copies are cached per input tensor, so a graph that is encoded every epoch is normalized once.
"""
from __future__ import annotations

import warnings
import weakref
from collections import OrderedDict
from typing import Any, Callable, NamedTuple

import torch
from torch import Tensor, nn
from torch_geometric.data import Data

from graphcl.nn.output import EncoderOutput
from graphcl.utils.checks import check_positive_int

# Features at most this dense are multiplied in CSR form (bag-of-words citation features are ~1%).
SPARSE_FEATURE_DENSITY = 0.1
_CACHE_SIZE = 8
ACTIVATIONS = ("prelu", "relu")


class _TensorCache:
    """A small LRU cache keyed by tensor identity; an entry is only used while its tensor is alive.

    A tensor edited in place after its first use is not detected (as with PyG's ``cached=True``); call
    :meth:`clear` after such edits.
    """

    def __init__(self, size: int = _CACHE_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[tuple, tuple[weakref.ref, Any]] = OrderedDict()

    def get(self, tensor: Tensor, extra: tuple, build: Callable[[], Any]) -> Any:
        key = (id(tensor), tensor.device, tensor.shape, *extra)
        entry = self._entries.get(key)
        if entry is not None and entry[0]() is tensor:
            self._entries.move_to_end(key)
            return entry[1]
        value = build()
        self._entries[key] = (weakref.ref(tensor), value)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        self._entries.clear()


class _SparseMatmul(torch.autograd.Function):
    """``sparse @ dense`` with the gradient for ``dense`` computed from a stored CSR transpose.

    PyTorch's own backward of a CSR product is several times slower than this forward product.
    """

    @staticmethod
    def forward(ctx, sparse: Tensor, sparse_t: Tensor, dense: Tensor) -> Tensor:
        ctx.sparse_t = sparse_t
        return torch.sparse.mm(sparse, dense)

    @staticmethod
    def backward(ctx, grad: Tensor):
        grad_dense = torch.sparse.mm(ctx.sparse_t, grad) if ctx.needs_input_grad[2] else None
        return None, None, grad_dense


class SparsePair(NamedTuple):
    """A sparse CSR matrix with its CSR transpose (for the backward pass)."""

    matrix: Tensor
    transpose: Tensor

    @classmethod
    def from_tensor(cls, tensor: Tensor) -> "SparsePair":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "sparse CSR support is in beta"
            coo = tensor.to_sparse_coo().coalesce()
            return cls(coo.to_sparse_csr(), coo.t().coalesce().to_sparse_csr())

    def __matmul__(self, dense: Tensor) -> Tensor:
        if dense.requires_grad:
            return _SparseMatmul.apply(self.matrix, self.transpose, dense)
        return torch.sparse.mm(self.matrix, dense)


def normalized_adjacency(edge_index: Tensor, num_nodes: int, edge_weight: Tensor | None = None,
                         add_self_loops: bool = True) -> SparsePair:
    r"""The GCN propagation matrix :math:`D^{-1/2}(A + I)D^{-1/2}` as a sparse CSR tensor and its transpose.

    Row ``i`` aggregates the sources of the edges ``j -> i`` (PyG's ``source_to_target`` flow).

    Args:
        edge_index (Tensor): edges, shape ``[2, E]``.
        num_nodes (int): number of nodes :math:`N`.
        edge_weight (Tensor, optional): edge weights, shape ``[E]``. (default: :obj:`None`)
        add_self_loops (bool, optional): add remaining self-loops with weight 1. (default: :obj:`True`)

    Returns:
        SparsePair: sparse CSR matrix of shape ``[N, N]`` (``.matrix``) and its transpose; ``pair @ h``
        multiplies.
    """
    from torch_geometric.nn.conv.gcn_conv import gcn_norm

    index, weight = gcn_norm(edge_index, edge_weight, num_nodes, improved=False, add_self_loops=add_self_loops)
    # gcn_norm gives messages source -> target; row = target, column = source.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "sparse invariant checks are implicitly disabled"
        adjacency = torch.sparse_coo_tensor(index.flip(0), weight, (num_nodes, num_nodes))
    return SparsePair.from_tensor(adjacency)


def weighted_adjacency(edge_index: Tensor, num_nodes: int, edge_weight: Tensor | None = None) -> SparsePair:
    """The propagation matrix given by the weighted edges as they are (row = target, column = source),
    as a :class:`SparsePair`; weights default to 1, duplicates are summed, no self-loops are added."""
    if edge_weight is None:
        edge_weight = torch.ones(edge_index.size(1), device=edge_index.device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "sparse invariant checks are implicitly disabled"
        adjacency = torch.sparse_coo_tensor(edge_index.flip(0), edge_weight.float(), (num_nodes, num_nodes))
    return SparsePair.from_tensor(adjacency)


def _node_inputs(data: Data) -> tuple[Tensor, Tensor, Tensor | None]:
    """``(x, edge_index, edge_weight)`` of a graph; a graph without edges gets an empty ``edge_index``."""
    x = getattr(data, "x", None)
    if x is None:
        raise ValueError("the graph has no node features `x`")
    edge_index = getattr(data, "edge_index", None)
    if edge_index is None:
        edge_index = torch.empty(2, 0, dtype=torch.long, device=x.device)
    return x, edge_index, getattr(data, "edge_weight", None)


def _check_graph(x: Tensor, edge_index: Tensor, in_channels: int) -> None:
    if not isinstance(x, Tensor) or x.dim() != 2:
        raise ValueError(f"x must be a 2-D tensor [num_nodes, {in_channels}], got "
                         f"{tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__}")
    if x.size(1) != in_channels:
        raise ValueError(f"x has {x.size(1)} features per node but the encoder expects in_channels={in_channels}")
    if x.size(0) == 0:
        raise ValueError("the graph has no nodes")
    if not isinstance(edge_index, Tensor) or edge_index.dim() != 2 or edge_index.size(0) != 2:
        raise ValueError(f"edge_index must have shape [2, num_edges], got "
                         f"{tuple(edge_index.shape) if isinstance(edge_index, Tensor) else type(edge_index).__name__}")
    if edge_index.numel() and (int(edge_index.min()) < 0 or int(edge_index.max()) >= x.size(0)):
        raise ValueError(f"edge_index refers to nodes outside [0, {x.size(0)})")


class GCNEncoder(nn.Module):
    r"""A stack of GCN layers with PReLU activations, as in
    `Deep Graph Infomax <https://arxiv.org/abs/1809.10341>`_ (one layer of 512 units there).

    Layer :math:`\ell`: :math:`H^{(\ell+1)} = \mathrm{PReLU}(\hat{A} H^{(\ell)} W^{(\ell)} + b^{(\ell)})` with
    :math:`\hat{A} = D^{-1/2}(A + I)D^{-1/2}`, Glorot-initialized :math:`W`, zero bias.

    Args:
        in_channels (int): input feature size :math:`F`.
        hidden_channels (int): width of every layer :math:`d`.
        num_layers (int, optional): number of GCN layers. (default: :obj:`1`)
        cached (bool, optional): cache the normalized adjacency and the CSR copy of sparse features per
            input tensor. Turn off if you edit ``x`` or ``edge_index`` in place between calls.
            (default: :obj:`True`)
        sparse_features (bool or str, optional): multiply the input features in CSR form: ``"auto"`` does so
            when at most 10% of them are non-zero. (default: :obj:`"auto"`)
        out_channels (int, optional): width of the last layer; the others have ``hidden_channels`` (GRACE's
            encoder is ``F -> 2d -> d``). (default: :obj:`None`, same as ``hidden_channels``)
        activation (str, optional): ``"prelu"`` (one learned slope per layer) or ``"relu"``.
            (default: :obj:`"prelu"`)
        normalize (bool, optional): propagate with :math:`D^{-1/2}(A + I)D^{-1/2}`; ``False`` uses the edge
            weights as given, without self-loops (a precomputed propagation matrix such as MVGRL's
            diffusion). (default: :obj:`True`)

    Shapes:
        - input: ``x`` ``[N, F]`` (dense, or sparse CSR), ``edge_index`` ``[2, E]``,
          ``edge_weight`` ``[E]`` (optional)
        - output: :class:`~graphcl.nn.EncoderOutput` with ``node`` ``[N, d]`` and ``graph=None``

    Example:
        >>> encoder = GCNEncoder(1433, 512)
        >>> encoder(x, edge_index).node.shape  # doctest: +SKIP
        torch.Size([2708, 512])
    """

    def __init__(self, in_channels: int, hidden_channels: int, num_layers: int = 1, cached: bool = True,
                 sparse_features: bool | str = "auto", out_channels: int | None = None,
                 activation: str = "prelu", normalize: bool = True) -> None:
        super().__init__()
        for name, value in (("in_channels", in_channels), ("hidden_channels", hidden_channels),
                            ("num_layers", num_layers)):
            check_positive_int(name, value)
        check_positive_int("out_channels", out_channels, optional=True)
        if sparse_features not in (True, False, "auto"):
            raise ValueError(f"sparse_features must be True, False or 'auto', got {sparse_features!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.out_channels = hidden_channels if out_channels is None else out_channels
        self.num_layers = num_layers
        self.cached = cached
        self.sparse_features = sparse_features
        self.activation = activation
        self.normalize = bool(normalize)
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        self.activations = nn.ModuleList()
        for layer in range(num_layers):
            fan_in = in_channels if layer == 0 else hidden_channels
            fan_out = self.out_channels if layer == num_layers - 1 else hidden_channels
            self.weights.append(nn.Parameter(torch.empty(fan_in, fan_out)))
            self.biases.append(nn.Parameter(torch.empty(fan_out)))
            self.activations.append(nn.PReLU() if activation == "prelu" else nn.ReLU())
        self._adjacency_cache = _TensorCache()
        self._feature_cache = _TensorCache()
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Glorot-uniform weights, zero biases, PReLU slopes 0.25 (as DGI's official code)."""
        for weight, bias, activation in zip(self.weights, self.biases, self.activations):
            nn.init.xavier_uniform_(weight)
            nn.init.zeros_(bias)
            if isinstance(activation, nn.PReLU):
                activation.reset_parameters()
        self.clear_cache()

    def clear_cache(self) -> None:
        """Forget the cached normalized adjacencies and sparse feature copies."""
        self._adjacency_cache.clear()
        self._feature_cache.clear()

    @property
    def config(self) -> dict[str, Any]:
        """Constructor arguments (stored in checkpoints, see :func:`graphcl.nn.save_encoder`)."""
        config = {"in_channels": self.in_channels, "hidden_channels": self.hidden_channels,
                  "num_layers": self.num_layers, "cached": self.cached, "sparse_features": self.sparse_features}
        # only the non-default extras, so that checkpoints of older versions keep loading
        if self.out_channels != self.hidden_channels:
            config["out_channels"] = self.out_channels
        if self.activation != "prelu":
            config["activation"] = self.activation
        if not self.normalize:
            config["normalize"] = False
        return config

    def adjacency(self, edge_index: Tensor, num_nodes: int, edge_weight: Tensor | None = None) -> SparsePair:
        """The normalized adjacency of a graph (cached per ``edge_index`` tensor when ``cached``)."""
        def build() -> SparsePair:
            if not self.normalize:
                return weighted_adjacency(edge_index, num_nodes, edge_weight)
            return normalized_adjacency(edge_index, num_nodes, edge_weight)

        if not self.cached:
            return build()
        if edge_weight is None:
            return self._adjacency_cache.get(edge_index, (num_nodes,), build)
        # weighted edges: cached per (edge_index, edge_weight) pair of live tensors
        entry = self._adjacency_cache.get(edge_index, (num_nodes, id(edge_weight)),
                                          lambda: (weakref.ref(edge_weight), build()))
        return entry[1] if entry[0]() is edge_weight else build()

    def _sparse_copy(self, x: Tensor) -> SparsePair | None:
        """A CSR copy of ``x`` when the sparse product pays off, else ``None``."""
        if self.sparse_features is False or x.requires_grad:
            return None

        def build() -> SparsePair | None:
            if self.sparse_features == "auto":
                density = float(torch.count_nonzero(x)) / max(x.numel(), 1)
                if density > SPARSE_FEATURE_DENSITY:
                    return None
            return SparsePair.from_tensor(x)

        return self._feature_cache.get(x, (), build) if self.cached else build()

    def project(self, x: Tensor) -> Tensor:
        """First layer's linear map :math:`XW^{(0)}`, shape ``[N, d]``, before propagation.

        Row-wise, so it commutes with row permutations: DGI's corruption can shuffle its output instead of
        the (wider) input features.
        """
        weight = self.weights[0]
        if x.layout != torch.strided:  # a sparse COO or CSR input
            return SparsePair.from_tensor(x) @ weight
        if not x.is_floating_point():
            x = x.to(weight.dtype)
        sparse = self._sparse_copy(x)
        return sparse @ weight if sparse is not None else x @ weight

    def propagate(self, projected: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> EncoderOutput:
        """Finish the forward pass from :meth:`project`'s output ``[N, d]``."""
        adjacency = self.adjacency(edge_index, projected.size(0), edge_weight)
        h = projected
        for layer in range(self.num_layers):
            if layer > 0:
                h = h @ self.weights[layer]
            h = self.activations[layer](adjacency @ h + self.biases[layer])
        return EncoderOutput(node=h, graph=None)

    def forward_sampled(self, x: Tensor, edge_index: Tensor, num_sampled_nodes: list[int],
                        degree: Tensor | None = None) -> Tensor:
        r"""Embeddings of the seed nodes of a neighbour-sampled subgraph, ``[num_sampled_nodes[0], d]``.

        The subgraph holds its nodes hop by hop (seeds first, as PyG's ``NeighborLoader`` returns them), so
        layer :math:`\ell` of an :math:`L`-layer GCN is only needed for the nodes of the first
        :math:`L - \ell` hops: each layer aggregates for those rows only (PyG's ``trim_to_layer`` idea),
        aggregating before the linear map. The values equal the first rows of ``self(x, edge_index).node``
        (normalization from the whole subgraph) up to float rounding, for a fraction of the work.

        With ``degree`` (``[num_nodes]``, each sampled node's in-degree in the *whole* graph, self-loops not
        counted), the normalization is that of the whole graph, :math:`1/\sqrt{(d_i + 1)(d_j + 1)}`, and the
        sum over the sampled neighbours of node :math:`i` is scaled by :math:`d_i / \tilde{d}_i` (sampled
        in-edges), an unbiased estimate of the full sum: a node whose neighbours were all sampled gets exactly
        the row of :math:`\hat{A}` used at inference (:func:`graphcl.eval.layerwise_embeddings`).
        """
        from torch_geometric.nn.conv.gcn_conv import gcn_norm

        hops = len(num_sampled_nodes) - 1
        if hops < self.num_layers:
            raise ValueError(f"the subgraph has {hops} sampled hops but the encoder has {self.num_layers} layers")
        num_nodes = x.size(0)
        if degree is None:
            index, weight = gcn_norm(edge_index, None, num_nodes, improved=False, add_self_loops=True)
        else:
            edges = edge_index[:, edge_index[0] != edge_index[1]]
            full = degree.to(x.device, torch.float32)
            sampled = torch.bincount(edges[1], minlength=num_nodes).to(full.dtype)
            inv_sqrt = (full + 1).rsqrt()
            scale = full[edges[1]] / sampled[edges[1]]
            loops = torch.arange(num_nodes, device=x.device)
            index = torch.cat([edges, torch.stack([loops, loops])], dim=1)
            weight = torch.cat([scale * inv_sqrt[edges[0]] * inv_sqrt[edges[1]], 1.0 / (full + 1)])
        source, target = index
        h = x if x.is_floating_point() else x.to(self.weights[0].dtype)
        for layer in range(self.num_layers):
            keep = sum(num_sampled_nodes[: self.num_layers - layer])
            mask = (target < keep) & (source < h.size(0))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                block = torch.sparse_coo_tensor(torch.stack([target[mask], source[mask]]), weight[mask],
                                                (keep, h.size(0)))
            h = self.activations[layer](torch.sparse.mm(block, h) @ self.weights[layer] + self.biases[layer])
        return h

    def forward(self, x: Tensor | Data, edge_index: Tensor | None = None,
                edge_weight: Tensor | None = None) -> EncoderOutput:
        """Encode the nodes of a graph (or of a batch of graphs, whose edges never cross graphs).

        Takes ``(x, edge_index[, edge_weight])`` or a :class:`~torch_geometric.data.Data` holding them (the
        form :class:`graphcl.methods.Method` calls encoders with).
        """
        if isinstance(x, Data):
            x, edge_index, edge_weight = _node_inputs(x)
        _check_graph(x, edge_index, self.in_channels)
        return self.propagate(self.project(x), edge_index, edge_weight)

    def __repr__(self) -> str:
        extra = ""
        if self.out_channels != self.hidden_channels:
            extra += f", out_channels={self.out_channels}"
        if self.activation != "prelu":
            extra += f", activation={self.activation!r}"
        if not self.normalize:
            extra += ", normalize=False"
        return (f"{self.__class__.__name__}({self.in_channels}, {self.hidden_channels}, "
                f"num_layers={self.num_layers}{extra})")

    def __getstate__(self) -> dict:
        # caches hold weak references and are not part of the model
        state = self.__dict__.copy()
        state["_adjacency_cache"] = _TensorCache()
        state["_feature_cache"] = _TensorCache()
        return state
