"""The value every graphcl encoder returns."""
from __future__ import annotations

from typing import NamedTuple, Optional

from torch import Tensor


class EncoderOutput(NamedTuple):
    """Node and graph embeddings of an encoder.

    Attributes:
        node (Tensor): node embeddings, shape ``[num_nodes, node_dim]``.
        graph (Tensor, optional): graph embeddings, shape ``[num_graphs, graph_dim]``; ``None`` for
            node-level encoders that do not pool.
    """

    node: Tensor
    graph: Optional[Tensor] = None
