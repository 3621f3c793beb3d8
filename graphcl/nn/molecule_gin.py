r"""GIN over featurized molecules, the encoder of the molecular pretraining literature.

Hu et al., "Strategies for Pre-training Graph Neural Networks" (ICLR 2020), used by GraphCL
(You et al., NeurIPS 2020) and JOAO (You et al., ICML 2021) for transfer to MoleculeNet: atoms and bonds
are embedded, every layer has its own bond embedding added to the neighbour messages (GINE), then batch
norm, ReLU (not after the last layer) and dropout.

Two variants, one per featurizer (:mod:`graphcl.data.featurizers`):

* ``featurizer="ogb"`` — OGB's ``AtomEncoder``/``BondEncoder`` over 9 atom / 3 bond features, PyG's
  ``GINEConv`` (``relu(x_j + e_ji)`` messages) and a Linear–BatchNorm–ReLU–Linear MLP.
* ``featurizer="hu2020"`` — the pretrain-gnns GIN: atom type + chirality and bond type + direction
  embeddings, a self-loop on every atom with its own bond type, ``x_j + e_ji`` messages summed, and a
  Linear–ReLU–Linear MLP.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from torch_geometric.nn import GINEConv, MessagePassing, global_add_pool, global_max_pool, global_mean_pool
from torch_geometric.utils import add_self_loops

from graphcl import __version__
from graphcl.data.featurizers import (
    DEFAULT_FEATURIZER, HU2020_BOND_DIRECTIONS, HU2020_CHIRALITY, HU2020_NUM_ATOM_TYPES, HU2020_NUM_BOND_TYPES,
    HU2020_SELF_LOOP_BOND, featurizer_of, get_featurizer,
)
from graphcl.nn.output import EncoderOutput
from graphcl.utils import atomic_save, load_checkpoint
from graphcl.utils.checks import check_positive_int

JUMPING_KNOWLEDGE = ("last", "concat", "sum", "max")
POOLING = {"mean": global_mean_pool, "sum": global_add_pool, "max": global_max_pool}
NUM_ATOM_FEATURES = 9
NUM_BOND_FEATURES = 3


def _reset_embeddings(encoder: nn.Module) -> None:
    for module in encoder.modules():
        if isinstance(module, nn.Embedding):
            nn.init.xavier_uniform_(module.weight)


class Hu2020AtomEncoder(nn.Module):
    """Sum of an atom-type and a chirality embedding (hu2020 features ``x`` long ``[N, 2]``)."""

    def __init__(self, hidden_channels: int):
        super().__init__()
        self.atom_type = nn.Embedding(HU2020_NUM_ATOM_TYPES, hidden_channels)
        self.chirality = nn.Embedding(len(HU2020_CHIRALITY), hidden_channels)

    def forward(self, x: Tensor) -> Tensor:
        return self.atom_type(x[:, 0]) + self.chirality(x[:, 1])


class Hu2020BondEncoder(nn.Module):
    """Sum of a bond-type (incl. self-loop and mask types) and a bond-direction embedding (``[E, 2]``)."""

    def __init__(self, hidden_channels: int):
        super().__init__()
        self.bond_type = nn.Embedding(HU2020_NUM_BOND_TYPES, hidden_channels)
        self.direction = nn.Embedding(len(HU2020_BOND_DIRECTIONS), hidden_channels)

    def forward(self, edge_attr: Tensor) -> Tensor:
        return self.bond_type(edge_attr[:, 0]) + self.direction(edge_attr[:, 1])


class Hu2020GINConv(MessagePassing):
    r"""The GIN layer of pretrain-gnns (Hu et al., ICLR 2020):
    :math:`h_i' = \mathrm{MLP}\big(\sum_{j \in \mathcal{N}(i) \cup \{i\}} (h_j + e_{ji})\big)`, where the
    self-loop's bond features are ``(self-loop type, direction 0)`` and the MLP is Linear–ReLU–Linear.

    Args:
        hidden_channels (int): input and output width.
    """

    def __init__(self, hidden_channels: int):
        super().__init__(aggr="add")
        self.mlp = nn.Sequential(nn.Linear(hidden_channels, 2 * hidden_channels), nn.ReLU(),
                                 nn.Linear(2 * hidden_channels, hidden_channels))
        self.bond_encoder = Hu2020BondEncoder(hidden_channels)

    def reset_parameters(self) -> None:
        for layer in self.mlp:
            if isinstance(layer, nn.Linear):
                layer.reset_parameters()
        _reset_embeddings(self.bond_encoder)

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor) -> Tensor:
        loop_attr = edge_attr.new_zeros((x.size(0), edge_attr.size(1)))
        loop_attr[:, 0] = HU2020_SELF_LOOP_BOND
        edge_index, _ = add_self_loops(edge_index, num_nodes=x.size(0))
        # add_self_loops appends the loops after the existing edges
        edge_embedding = self.bond_encoder(torch.cat([edge_attr, loop_attr], dim=0))
        return self.mlp(self.propagate(edge_index, x=x, edge_embedding=edge_embedding))

    def message(self, x_j: Tensor, edge_embedding: Tensor) -> Tensor:
        return x_j + edge_embedding


class MoleculeGINEncoder(nn.Module):
    r"""GIN with bond features in message passing for OGB-featurized molecules.

    Input: ``data.x`` long ``[N, 9]`` and ``data.edge_attr`` long ``[E, 3]`` as produced by
    :func:`ogb.utils.smiles2graph` (``[N, 2]`` and ``[E, 2]`` for ``featurizer="hu2020"``);
    ``data.batch`` ``[N]`` for a batch.
    Output: :class:`~graphcl.nn.EncoderOutput` with ``node`` ``[N, out_channels]`` and ``graph``
    ``[B, out_channels]`` (pooled node representations).

    Args:
        hidden_channels (int, optional): width of every layer. (default: ``300``)
        num_layers (int, optional): number of GINE layers. (default: ``5``)
        p (float, optional): dropout probability after every layer. (default: ``0.0``; fine-tuning uses 0.5)
        jumping_knowledge (str, optional): node representation from the layers: ``"last"``,
            ``"concat"`` (``num_layers * hidden_channels`` wide), ``"sum"`` or ``"max"``. (default: ``"last"``)
        pooling (str, optional): ``"mean"``, ``"sum"`` or ``"max"`` readout. (default: ``"mean"``)
        featurizer (str, optional): the input features and the matching GIN: ``"ogb"`` or ``"hu2020"``
            (see the module docstring). (default: ``"ogb"``)

    Example:
        >>> from ogb.utils import smiles2graph
        >>> encoder = MoleculeGINEncoder(hidden_channels=16, num_layers=2)
        >>> out = encoder(molecule_batch)  # doctest: +SKIP
    """

    def __init__(self, hidden_channels: int = 300, num_layers: int = 5, p: float = 0.0,
                 jumping_knowledge: str = "last", pooling: str = "mean", featurizer: str = DEFAULT_FEATURIZER):
        super().__init__()
        from ogb.graphproppred.mol_encoder import AtomEncoder, BondEncoder

        check_positive_int("num_layers", num_layers)
        check_positive_int("hidden_channels", hidden_channels)
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout p must lie in [0, 1), got {p!r}")
        if jumping_knowledge not in JUMPING_KNOWLEDGE:
            raise ValueError(f"jumping_knowledge must be one of {JUMPING_KNOWLEDGE}, got {jumping_knowledge!r}")
        if pooling not in POOLING:
            raise ValueError(f"pooling must be one of {tuple(POOLING)}, got {pooling!r}")
        self.hidden_channels = hidden_channels
        self.num_layers = num_layers
        self.p = p
        self.jumping_knowledge = jumping_knowledge
        self.pooling = pooling
        features = get_featurizer(featurizer)
        self.featurizer = features.name
        self.num_atom_features = features.num_atom_features
        self.num_bond_features = features.num_bond_features
        if self.featurizer == "hu2020":
            self.atom_encoder = Hu2020AtomEncoder(hidden_channels)
            self.bond_encoders = None  # each Hu2020GINConv embeds its own bonds
            self.convs = nn.ModuleList(Hu2020GINConv(hidden_channels) for _ in range(num_layers))
        else:
            self.atom_encoder = AtomEncoder(hidden_channels)
            self.bond_encoders = nn.ModuleList(BondEncoder(hidden_channels) for _ in range(num_layers))
            self.convs = nn.ModuleList(
                GINEConv(nn.Sequential(nn.Linear(hidden_channels, 2 * hidden_channels),
                                       nn.BatchNorm1d(2 * hidden_channels), nn.ReLU(),
                                       nn.Linear(2 * hidden_channels, hidden_channels)))
                for _ in range(num_layers))
        self.norms = nn.ModuleList(nn.BatchNorm1d(hidden_channels) for _ in range(num_layers))
        self.reset_parameters()

    @property
    def out_channels(self) -> int:
        """Width of the node and graph embeddings."""
        factor = self.num_layers if self.jumping_knowledge == "concat" else 1
        return factor * self.hidden_channels

    @property
    def config(self) -> dict[str, Any]:
        """Constructor arguments (stored in checkpoints)."""
        return {"hidden_channels": self.hidden_channels, "num_layers": self.num_layers, "p": self.p,
                "jumping_knowledge": self.jumping_knowledge, "pooling": self.pooling,
                "featurizer": self.featurizer}

    def reset_parameters(self) -> None:
        _reset_embeddings(self)
        for conv in self.convs:
            conv.reset_parameters()  # also resets its MLP
        for norm in self.norms:
            norm.reset_parameters()

    def forward(self, data) -> EncoderOutput:
        x, edge_index, edge_attr = data.x, data.edge_index, getattr(data, "edge_attr", None)
        _check_inputs(x, edge_index, edge_attr, self.featurizer, self.num_atom_features, self.num_bond_features)
        batch = getattr(data, "batch", None)
        if batch is None:
            batch = torch.zeros(x.size(0), dtype=torch.long, device=x.device)
        h = self.atom_encoder(x)
        layers = []
        for index, (conv, norm) in enumerate(zip(self.convs, self.norms)):
            if self.bond_encoders is None:
                h = norm(conv(h, edge_index, edge_attr))
            else:
                h = norm(conv(h, edge_index, self.bond_encoders[index](edge_attr)))
            if index < self.num_layers - 1:
                h = torch.relu(h)
            h = nn.functional.dropout(h, p=self.p, training=self.training)
            layers.append(h)
        if self.jumping_knowledge == "last":
            node = layers[-1]
        elif self.jumping_knowledge == "concat":
            node = torch.cat(layers, dim=-1)
        elif self.jumping_knowledge == "sum":
            node = torch.stack(layers).sum(0)
        else:
            node = torch.stack(layers).max(0).values
        num_graphs = int(getattr(data, "num_graphs", None) or int(batch.max()) + 1)
        graph = POOLING[self.pooling](node, batch, size=num_graphs)
        return EncoderOutput(node=node, graph=graph)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(hidden_channels={self.hidden_channels}, num_layers={self.num_layers}, "
                f"p={self.p}, jumping_knowledge={self.jumping_knowledge!r}, pooling={self.pooling!r}"
                + (f", featurizer={self.featurizer!r})" if self.featurizer != DEFAULT_FEATURIZER else ")"))


def _check_inputs(x: Tensor, edge_index: Tensor, edge_attr: Tensor | None, featurizer: str = DEFAULT_FEATURIZER,
                  atom_width: int = NUM_ATOM_FEATURES, bond_width: int = NUM_BOND_FEATURES) -> None:
    if x is None or x.dim() != 2 or edge_attr is None or edge_attr.dim() != 2 \
            or x.size(1) != atom_width or edge_attr.size(1) != bond_width:
        shapes = tuple(None if t is None else tuple(t.shape) for t in (x, edge_attr))
        found = featurizer_of(x.size(1), edge_attr.size(1)) if None not in shapes and len(shapes[0]) == 2 \
            and len(shapes[1]) == 2 else None
        hint = f": this looks like {found!r}-featurized data" if found else ""
        raise ValueError(f"MoleculeGINEncoder(featurizer={featurizer!r}) expects atom features x [N, {atom_width}] "
                         f"and bond features edge_attr [E, {bond_width}], got {shapes[0]} and {shapes[1]}{hint}; "
                         f"featurize the molecules with the encoder's featurizer")
    if x.dtype != torch.long:
        raise TypeError(f"atom features must be integer category indices (torch.long), got {x.dtype}")
    if x.size(0) == 0:
        raise ValueError("MoleculeGINEncoder got a batch without atoms")
    if edge_attr.dtype != torch.long:
        raise TypeError(f"bond features must be torch.long, got {edge_attr.dtype}")
    if edge_attr.size(0) != edge_index.size(1):
        raise ValueError(f"edge_attr has {edge_attr.size(0)} rows but edge_index has {edge_index.size(1)} edges")


ENCODER_CLASSES = {"MoleculeGINEncoder": MoleculeGINEncoder}


def save_encoder(encoder: nn.Module, path: str | os.PathLike, extra: dict[str, Any] | None = None) -> Path:
    """Write ``encoder``'s ``state_dict`` with its class name, constructor arguments and (molecular encoders)
    featurizer name, atomically."""
    if not hasattr(encoder, "config"):
        raise TypeError(f"{type(encoder).__name__} has no `config`; cannot be rebuilt from a checkpoint")
    payload = {"class": type(encoder).__name__, "config": dict(encoder.config),
               "featurizer": getattr(encoder, "featurizer", None),
               "state_dict": {k: v.detach().cpu() for k, v in encoder.state_dict().items()},
               "graphcl_version": __version__, "extra": extra or {}}
    return atomic_save(payload, path)


def load_encoder(path: str | os.PathLike, map_location: str | torch.device = "cpu", **overrides) -> nn.Module:
    """Rebuild an encoder saved by :func:`save_encoder`; ``overrides`` replace constructor arguments
    that do not change the weights' shapes (e.g. ``p=0.5`` for fine-tuning)."""
    payload = load_checkpoint(path, map_location=map_location)
    if not isinstance(payload, dict) or "state_dict" not in payload or "class" not in payload:
        raise ValueError(f"{path} is not an encoder checkpoint written by save_encoder")
    cls = ENCODER_CLASSES.get(payload["class"])
    if cls is None:
        raise ValueError(f"{path} holds an unknown encoder class {payload['class']!r}")
    encoder = cls(**{**payload["config"], **overrides})
    encoder.load_state_dict(payload["state_dict"])
    return encoder
