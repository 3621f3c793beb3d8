r"""GRACE: deep graph contrastive representation learning (Zhu et al., 2020, https://arxiv.org/abs/2006.04131;
official code CRIPAC-DIG/GRACE).

Two views of one graph, each with its own edge-removal and feature-column-masking rates, go through a shared
GCN encoder and a projection head (``Linear -> ELU -> Linear``); node :math:`i` of one view is the positive of
node :math:`i` of the other, and every other node of both views is a negative:

.. math::
    \ell(u_i, v_i) = -\log \frac{e^{\theta(u_i, v_i)/\tau}}{e^{\theta(u_i, v_i)/\tau}
        + \sum_{k \ne i} e^{\theta(u_i, v_k)/\tau} + \sum_{k \ne i} e^{\theta(u_i, u_k)/\tau}},

with :math:`\theta` the cosine similarity, averaged over both directions and all nodes. This is exactly the
symmetric NT-Xent of SimCLR (:func:`graphcl.losses.nt_xent_loss` with ``exclude_positive=False``), which is
therefore the default loss.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Callable, Optional

import torch
from torch import Tensor, nn
from torch_geometric.data import Data

from graphcl.augment.attribute_mask import mask_attributes
from graphcl.augment.edge_drop import drop_edges
from graphcl.losses.nt_xent import NTXentLoss
from graphcl.methods.base import Method, encode, encoder_channels
from graphcl.methods.dgi import check_finite, node_inputs
from graphcl.nn.gcn import GCNEncoder
from graphcl.nn.projection import ProjectionHead
from graphcl.utils.checks import check_positive_int

TwoViewLoss = Callable[[Tensor, Tensor], Tensor]


#: How a view draws what it removes: ``"exact"`` removes exactly ``round(p * count)`` undirected edges and
#: feature columns (an undirected graph stays undirected); ``"independent"`` is the official code's draw: every
#: stored (directed) edge and every column is dropped on its own with probability ``p`` (``dropout_adj``
#: without ``force_undirected``, a Bernoulli mask per column), so a view's graph is in general directed.
VIEW_SAMPLING = ("exact", "independent")


class GRACEView:
    """One GRACE view: drop a share ``edge_p`` of the edges, then zero a share ``feature_p`` of the feature
    columns. Called as ``view(data, generator) -> Data``.

    With ``sampling="exact"`` (default) it uses :func:`graphcl.augment.drop_edges` and
    :func:`graphcl.augment.mask_attributes` with ``columns=True``; ``sampling="independent"`` draws as the
    official code (see :data:`VIEW_SAMPLING`).
    """

    def __init__(self, edge_p: float, feature_p: float, sampling: str = "exact") -> None:
        for name, value in (("edge_p", edge_p), ("feature_p", feature_p)):
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {value}")
        if sampling not in VIEW_SAMPLING:
            raise ValueError(f"sampling must be one of {VIEW_SAMPLING}, got {sampling!r}")
        self.edge_p, self.feature_p, self.sampling = float(edge_p), float(feature_p), sampling

    @property
    def config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"edge_p": self.edge_p, "feature_p": self.feature_p}
        if self.sampling != "exact":
            config["sampling"] = self.sampling
        return config

    def __call__(self, data: Data, generator: Optional[torch.Generator] = None) -> Data:
        if self.sampling == "independent":
            return self._independent(data, generator)
        view = drop_edges(data, self.edge_p, generator=generator) if self.edge_p > 0 else data
        if self.feature_p > 0:
            view = mask_attributes(view, self.feature_p, generator=generator, columns=True)
        return view

    def _independent(self, data: Data, generator: Optional[torch.Generator]) -> Data:
        view = data.clone()
        if self.edge_p > 0 and data.edge_index is not None:
            keep = torch.rand(data.edge_index.size(1), generator=generator, device=data.edge_index.device) \
                >= self.edge_p
            for key in ("edge_index", "edge_attr", "edge_weight"):
                value = getattr(data, key, None)
                if value is not None:
                    view[key] = value[:, keep] if key == "edge_index" else value[keep]
        if self.feature_p > 0:
            dropped = torch.rand(data.x.size(1), generator=generator, device=data.x.device) < self.feature_p
            view.x = data.x.masked_fill(dropped.unsqueeze(0), 0)
        return view

    def __repr__(self) -> str:
        extra = f", sampling={self.sampling!r}" if self.sampling != "exact" else ""
        return f"{self.__class__.__name__}(edge_p={self.edge_p}, feature_p={self.feature_p}{extra})"


class GRACE(Method):
    r"""GRACE on one graph: two augmented views, shared encoder, projection head, two-view InfoNCE.

    Args:
        encoder (nn.Module): a node encoder returning :class:`~graphcl.nn.EncoderOutput` with an
            ``out_channels`` attribute (GRACE's: a 2-layer :class:`~graphcl.nn.GCNEncoder` ``F -> 2d -> d``,
            see :func:`build_grace`).
        view1 (callable): ``view1(data, generator) -> Data``, the first view (e.g. :class:`GRACEView`).
        view2 (callable): the second view.
        projection_channels (int, optional): hidden width of the head ``d -> p -> d``.
            (default: :obj:`None`, same as the encoder's ``d``)
        loss (callable, optional): ``loss(z1, z2) -> scalar`` on the projected views.
            (default: :class:`~graphcl.losses.NTXentLoss` with ``temperature=tau``, GRACE's loss)
        tau (float, optional): temperature of the default loss. (default: :obj:`0.5`)
        generator (torch.Generator, optional): draws both views. (default: :obj:`None`)

    Shapes:
        - :meth:`loss`: ``data.x`` ``[N, F]``, ``data.edge_index`` ``[2, E]`` -> scalar
        - :meth:`embed`: -> ``[N, d]`` encoder outputs (before the head, as the official evaluation)
    """

    embedding_level = "node"

    def __init__(self, encoder: nn.Module, view1: Callable, view2: Callable,
                 projection_channels: Optional[int] = None, loss: Optional[TwoViewLoss] = None,
                 tau: float = 0.5, generator: Optional[torch.Generator] = None) -> None:
        super().__init__(generator)
        channels = encoder_channels(encoder)
        check_positive_int("projection_channels", projection_channels, optional=True)
        for name, view in (("view1", view1), ("view2", view2)):
            if not callable(view):
                raise TypeError(f"{name} must be a callable (data, generator) -> Data")
        if loss is not None and not callable(loss):
            raise TypeError("loss must be a callable (z1, z2) -> scalar")
        self.encoder = encoder
        self.view1, self.view2 = view1, view2
        self.projector = ProjectionHead(channels, projection_channels or channels, channels, num_layers=2,
                                        activation="elu")
        self.loss_fn = loss if loss is not None else NTXentLoss(temperature=tau)

    @property
    def in_channels(self) -> Optional[int]:
        return getattr(self.encoder, "in_channels", None)

    def views(self, data: Data) -> tuple[Data, Data]:
        """The two augmented views of ``data`` (drawn from the method's generator)."""
        node_inputs(data, self.in_channels)
        return self.view1(data, self.generator), self.view2(data, self.generator)

    def loss(self, data: Data) -> Tensor:
        """GRACE's objective on ``data``."""
        first, second = self.views(data)
        z1 = self.projector(encode(self.encoder, first).node)
        z2 = self.projector(encode(self.encoder, second).node)
        return self.loss_fn(z1, z2)

    def embedding(self, data: Data) -> Tensor:
        """Node embeddings ``[N, d]`` of the unaugmented graph."""
        x, _ = node_inputs(data, self.in_channels)
        check_finite(x)
        return encode(self.encoder, data).node


@dataclass(frozen=True)
class GRACESettings:
    """One row of the official ``config.yaml``: encoder, views, temperature and training budget."""

    lr: float
    hidden_channels: int
    projection_channels: int
    activation: str
    edge_p: tuple[float, float]
    feature_p: tuple[float, float]
    tau: float
    epochs: int
    weight_decay: float = 1e-5
    num_layers: int = 2

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


#: The official per-dataset settings (CRIPAC-DIG/GRACE ``config.yaml``); training is full batch, Adam,
#: a fixed number of epochs, the final model evaluated.
GRACE_SETTINGS: dict[str, GRACESettings] = {
    "cora": GRACESettings(lr=5e-4, hidden_channels=128, projection_channels=128, activation="relu",
                          edge_p=(0.2, 0.4), feature_p=(0.3, 0.4), tau=0.4, epochs=200),
    "citeseer": GRACESettings(lr=1e-3, hidden_channels=256, projection_channels=256, activation="prelu",
                              edge_p=(0.2, 0.0), feature_p=(0.3, 0.2), tau=0.9, epochs=200),
    "pubmed": GRACESettings(lr=1e-3, hidden_channels=256, projection_channels=256, activation="relu",
                            edge_p=(0.4, 0.1), feature_p=(0.0, 0.2), tau=0.7, epochs=1500),
}


def grace_settings(dataset: str) -> GRACESettings:
    """The official settings of ``dataset`` (Cora, CiteSeer, PubMed; case-insensitive)."""
    key = dataset.lower()
    if key not in GRACE_SETTINGS:
        raise ValueError(f"no official GRACE settings for {dataset!r}; known: {sorted(GRACE_SETTINGS)}")
    return GRACE_SETTINGS[key]


def build_grace(in_channels: int, settings: GRACESettings | str = "cora",
                generator: Optional[torch.Generator] = None, sampling: str = "exact") -> GRACE:
    """GRACE as the official code builds it: a GCN ``F -> 2d -> d`` (``num_layers`` layers, the activation
    after every layer), a head ``d -> p -> d`` with ELU, and the two views of ``settings``.

    The official code shares one PReLU slope across the layers; :class:`~graphcl.nn.GCNEncoder` learns one per
    layer. ``sampling="independent"`` draws the views' edges and columns as the official code does
    (:data:`VIEW_SAMPLING`).
    """
    if isinstance(settings, str):
        settings = grace_settings(settings)
    encoder = GCNEncoder(in_channels, 2 * settings.hidden_channels, num_layers=settings.num_layers,
                         out_channels=settings.hidden_channels, activation=settings.activation)
    return GRACE(encoder, GRACEView(settings.edge_p[0], settings.feature_p[0], sampling),
                 GRACEView(settings.edge_p[1], settings.feature_p[1], sampling),
                 projection_channels=settings.projection_channels, tau=settings.tau, generator=generator)
