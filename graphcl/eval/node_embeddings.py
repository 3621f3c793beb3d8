r"""Node embeddings of a whole (large) graph, computed layer by layer in chunks of nodes.

Mini-batch training never holds the whole graph's activations; inference should not either. For a
:class:`~graphcl.nn.GCNEncoder`, layer :math:`\ell` is computed for ``chunk_size`` target nodes at a time,
:math:`H^{(\ell+1)}_C = \mathrm{PReLU}((\hat{A}_{C,:} H^{(\ell)}) W^{(\ell)} + b^{(\ell)})`, with the rows
:math:`C` of :math:`\hat{A} = D^{-1/2}(A + I)D^{-1/2}` built from the edges into the chunk only (as PyG's
layer-wise ``inference`` of GraphSAGE does, with full neighbourhoods). Beyond the graph itself and one
``[N, d]`` matrix per layer, memory follows the chunk; the last layer can be written straight into a
memory-mapped ``.npy`` file (:func:`save_node_embeddings`).
"""
from __future__ import annotations

import os
import warnings
from typing import Optional

import numpy as np
import torch
from torch import Tensor, nn
from torch_geometric.data import Data

from graphcl.data.neighbor_sampler import csc
from graphcl.methods.base import encode
from graphcl.methods.dgi import check_finite, node_inputs
from graphcl.nn.gcn import GCNEncoder
from graphcl.utils import progress
from graphcl.utils.checks import check_positive_int
from graphcl.utils.io import atomic_path

#: Target nodes per chunk in :func:`layerwise_embeddings`.
DEFAULT_CHUNK_SIZE = 65536


def _encoder_of(model: nn.Module) -> nn.Module:
    return getattr(model, "encoder", model)


def _gcn_operator(edge_index: Tensor, num_nodes: int) -> tuple[Tensor, Tensor, Tensor]:
    """``(colptr, row, inv_sqrt_degree)`` of :math:`\\hat{A}` without its self-loops (added per chunk)."""
    keep = edge_index[0] != edge_index[1]
    colptr, row, _ = csc(edge_index[:, keep], num_nodes)
    degree = (colptr[1:] - colptr[:-1]).to(torch.float32) + 1.0
    return colptr, row, degree.rsqrt()


@torch.no_grad()
def _gcn_layerwise(encoder: GCNEncoder, x: Tensor, edge_index: Tensor, chunk_size: int,
                   out: Optional[np.ndarray], show_progress: bool) -> Tensor | np.ndarray:
    num_nodes = x.size(0)
    colptr, row, dinv = _gcn_operator(edge_index.cpu(), num_nodes)
    h = x if x.is_floating_point() else x.float()
    starts = list(range(0, num_nodes, chunk_size))
    for layer in range(encoder.num_layers):
        weight, bias, activation = encoder.weights[layer], encoder.biases[layer], encoder.activations[layer]
        last = layer == encoder.num_layers - 1
        target = out if (last and out is not None) else torch.empty(num_nodes, encoder.hidden_channels,
                                                                     dtype=weight.dtype)
        bar = progress(starts, enabled=show_progress, desc=f"embed layer {layer + 1}", unit="chunk")
        for start in bar:
            stop = min(start + chunk_size, num_nodes)
            lo, hi = int(colptr[start]), int(colptr[stop])
            crow = colptr[start:stop + 1] - lo
            cols = row[lo:hi]
            targets = torch.repeat_interleave(torch.arange(start, stop), crow[1:] - crow[:-1])
            values = dinv[cols] * dinv[targets]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # "sparse invariant checks are implicitly disabled"
                block = torch.sparse_csr_tensor(crow, cols, values.to(h.dtype), size=(stop - start, num_nodes))
            aggregated = torch.sparse.mm(block, h) + (dinv[start:stop] ** 2).to(h.dtype).unsqueeze(1) * h[start:stop]
            chunk = activation(aggregated @ weight + bias)
            if isinstance(target, Tensor):
                target[start:stop] = chunk
            else:
                target[start:stop] = chunk.numpy()
        h = target if isinstance(target, Tensor) else h
    return target


@torch.no_grad()
def layerwise_embeddings(model: nn.Module, data: Data, chunk_size: int = DEFAULT_CHUNK_SIZE,
                         out: Optional[np.ndarray] = None, progress: bool = False) -> Tensor | np.ndarray:
    """Node embeddings ``[N, d]`` of a node encoder (or of a method holding one as ``.encoder``) on ``data``.

    A :class:`~graphcl.nn.GCNEncoder` is evaluated layer by layer over chunks of ``chunk_size`` target nodes on
    the CPU (same values as ``encoder(data).node`` up to float rounding); any other encoder is run on the
    whole graph at once.

    Args:
        model (nn.Module): a node encoder or a node-level method.
        data (Data): the graph (``x`` ``[N, F]``, ``edge_index`` ``[2, E]``).
        chunk_size (int, optional): target nodes per chunk. (default: :obj:`65536`)
        out (np.ndarray, optional): a writable ``[N, d]`` float32 array (e.g. a memory map) that receives
            the last layer; returned instead of a tensor.
        progress (bool, optional): show a progress bar per layer. (default: :obj:`False`)

    Returns:
        Tensor or np.ndarray: ``[N, d]``, row ``i`` for node ``i``.
    """
    check_positive_int("chunk_size", chunk_size)
    encoder = _encoder_of(model)
    x, edge_index = node_inputs(data, getattr(encoder, "in_channels", None))
    check_finite(x)
    was_training = encoder.training
    encoder.eval()
    try:
        if isinstance(encoder, GCNEncoder) and x.layout == torch.strided and getattr(data, "edge_weight", None) is None:
            encoder_cpu = encoder if next(encoder.parameters()).device.type == "cpu" else encoder.cpu()
            result = _gcn_layerwise(encoder_cpu, x.cpu(), edge_index, chunk_size, out, progress)
        else:
            result = encode(encoder, data).node.detach().cpu()
            if out is not None:
                out[:] = result.numpy()
                result = out
    finally:
        encoder.train(was_training)
    if out is None and result.shape[0] != x.size(0):
        raise RuntimeError("the encoder returned a different number of rows than the graph has nodes")
    return result


def save_node_embeddings(model: nn.Module, data: Data, path: str | os.PathLike,
                         chunk_size: int = DEFAULT_CHUNK_SIZE, progress: bool = False) -> tuple[int, int]:
    """Write the node embeddings of ``data`` to the ``.npy`` file ``path`` (row ``i`` = node ``i``, float32),
    atomically, filling a memory map chunk by chunk. Returns the array's shape."""
    encoder = _encoder_of(model)
    channels = int(getattr(encoder, "out_channels"))
    with atomic_path(path, suffix=".tmp.npy") as tmp:
        array = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(int(data.num_nodes), channels))
        layerwise_embeddings(encoder, data, chunk_size=chunk_size, out=array, progress=progress)
        array.flush()
        shape = tuple(array.shape)
        del array
    return shape
