r"""CG3: contrastive and generative graph convolutional networks for semi-supervised node classification.

Wan, Pan, Yang & Gong, "Contrastive and Generative Graph Convolutional Networks for Graph-based
Semi-Supervised Learning", AAAI 2021 (https://arxiv.org/abs/2009.07111).

Two views of one graph: a local 2-layer GCN and a global hierarchical GCN
(:class:`graphcl.nn.hierarchical_gcn.HierarchicalGCN`), both with ``num_classes`` outputs and
L2-normalised. Losses, each switched off by a zero weight:

* ``unsupervised`` — cross-view contrast per node (positive: the same node in the other view);
* ``supervised`` — cross-view supervised contrast over the labelled nodes (positives: same class, the
  node itself included), see :func:`cross_view_supervised_contrast`;
* ``generative`` — edges (with self-loops) predicted from the two views, :math:`-\log\sigma(\mathrm{MLP}
  ([y^{a}_i \| y^{b}_j]))` in both view orders;
* ``classification`` — cross-entropy of the labelled nodes on the L2-normalised combination
  ``0.6 * local + 0.4 * global``.

Defaults follow the official code (LEAP-WS/CG3): weights 0.9 / 0.9 / 0.4, temperature 0.5, dropout 0.6,
width 1024, learning rate 0.01, weight decay 0.1 (an L2 penalty on the layer weights), 1000 epochs, and
the epoch of best validation accuracy is kept.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.data import Data
from torch_geometric.nn import GCNConv
from torch_geometric.utils import add_remaining_self_loops

from graphcl.methods.base import Method
from graphcl.nn.gcn import SparsePair, normalized_adjacency
from graphcl.nn.hierarchical_gcn import (CoarseningHierarchy, HierarchicalGCN, coarsening_hierarchy,
                                         sparse_aware_dropout)
from graphcl.train.loop import TrainingOptions, train
from graphcl.utils.checks import check_positive_int
from graphcl.utils.device import resolve_device
from graphcl.utils.modes import evaluation_mode

__all__ = ["CG3", "CG3Result", "train_cg3", "label_rate_split", "with_split", "cross_view_contrast",
           "cross_view_supervised_contrast", "row_normalize", "LOSS_TERMS"]

LOSS_TERMS = ("unsupervised", "supervised", "generative", "classification")


def cross_view_contrast(z1: Tensor, z2: Tensor, temperature: float = 0.5) -> Tensor:
    r"""CG3's node-wise cross-view contrast (Eq. 5 of the paper, both directions averaged).

    :math:`-\frac{1}{2n}\sum_i \left[\log\frac{e^{s_{ii}}}{\sum_j e^{s_{ij}}} +
    \log\frac{e^{s_{ii}}}{\sum_j e^{s_{ji}}}\right]`, :math:`s_{ij} = \cos(z^1_i, z^2_j) / \tau`: only
    cross-view pairs, the positive stays in the denominator (unlike SimCLR's NT-Xent, which adds same-view
    negatives, and GraphCL's, which drops the positive). One ``[n, n]`` similarity matrix serves both
    directions; as cosines are bounded, ``exp`` needs no max-shift.

    Args:
        z1 (Tensor): ``[n, d]`` first view.
        z2 (Tensor): ``[n, d]`` second view; row ``i`` is the positive of row ``i`` of ``z1``.
        temperature (float, optional): :math:`\tau`. (default: ``0.5``)
    """
    if z1.shape != z2.shape or z1.dim() != 2:
        raise ValueError(f"z1 and z2 must have the same shape [n, d], got {tuple(z1.shape)}, {tuple(z2.shape)}.")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}.")
    z1, z2 = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    z1 = z1 / temperature  # scaling the [n, d] input is cheaper than the [n, n] similarities
    if temperature >= 0.05:
        return _CrossViewContrast.apply(z1, z2)
    positive = (z1 * z2).sum(dim=1)
    logits = z1 @ z2.t()
    rows, columns = torch.logsumexp(logits, dim=1), torch.logsumexp(logits, dim=0)
    return (rows + columns - 2.0 * positive).mean() / 2.0


def cross_view_supervised_contrast(z1: Tensor, z2: Tensor, labels: Tensor, temperature: float = 0.5) -> Tensor:
    r"""CG3's supervised contrast between two views of the labelled nodes (Eq. 8 of the paper, as the
    official code computes it), both directions averaged.

    :math:`-\frac{1}{2m}\sum_i \left[\log\frac{\frac{1}{|P_i|}\sum_{j \in P_i} e^{s_{ij}}}{\sum_j e^{s_{ij}}}
    + (\text{same with } s^\top)\right]`, :math:`s_{ij} = \cos(z^1_i, z^2_j) / \tau`, where the
    positives :math:`P_i = \{j : y_j = y_i\}` include :math:`i` itself. Only cross-view pairs are
    compared and the positives are averaged inside the logarithm, unlike SupCon
    (:func:`graphcl.losses.supervised_contrastive_loss`), which adds same-view pairs and averages the
    logarithms. The official code also divides the denominator by :math:`m - 1`, a constant left out here.

    Args:
        z1 (Tensor): ``[m, d]`` first view of the labelled nodes.
        z2 (Tensor): ``[m, d]`` second view of the same nodes, in the same order.
        labels (Tensor): ``[m]`` integer class labels.
        temperature (float, optional): :math:`\tau`. (default: ``0.5``)
    """
    if z1.shape != z2.shape or z1.dim() != 2:
        raise ValueError(f"z1 and z2 must have the same shape [m, d], got {tuple(z1.shape)}, {tuple(z2.shape)}.")
    if labels.dim() != 1 or labels.numel() != z1.size(0) or labels.is_floating_point():
        raise ValueError(f"labels must be a 1-D integer tensor with {z1.size(0)} entries.")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}.")
    logits = F.normalize(z1, dim=1) @ F.normalize(z2, dim=1).t() / temperature
    same = labels.unsqueeze(0) == labels.unsqueeze(1)  # symmetric, diagonal set
    log_count = same.sum(dim=1).to(logits.dtype).log()
    positive = logits.masked_fill(~same, float("-inf"))
    forward = torch.logsumexp(positive, dim=1) - log_count - torch.logsumexp(logits, dim=1)
    backward = torch.logsumexp(positive, dim=0) - log_count - torch.logsumexp(logits, dim=0)
    return -(forward.mean() + backward.mean()) / 2.0


class _CrossViewContrast(torch.autograd.Function):
    """Both directions of the cross-view contrast from one ``[n, n]`` matrix, with a hand-written
    backward that touches it twice instead of autograd's chain of temporaries. ``|a_i . b_j|`` is at most
    ``1 / temperature <= 20`` here, so ``exp`` needs no max-shift."""

    @staticmethod
    def forward(ctx, a: Tensor, b: Tensor) -> Tensor:
        similarity = torch.exp(a @ b.t())
        rows, columns = similarity.sum(dim=1), similarity.sum(dim=0)
        n = a.size(0)
        ctx.save_for_backward(a, b, similarity, rows, columns)
        return (rows.log().sum() + columns.log().sum()) / (2 * n) - (a * b).sum() / n

    @staticmethod
    def backward(ctx, grad: Tensor):
        a, b, similarity, rows, columns = ctx.saved_tensors
        n = a.size(0)
        scale = grad / (2 * n)
        # d loss / d logits = scale * (E_ij / rows_i + E_ij / columns_j); the diagonal part is below
        weights = similarity * (scale / rows).unsqueeze(1)
        weights.addcmul_(similarity, (scale / columns).unsqueeze(0))
        grad_a = weights @ b - (grad / n) * b
        grad_b = weights.t() @ a - (grad / n) * a
        return grad_a, grad_b


class _Prepared:
    """What CG3 precomputes once per graph: sparse features, the coarsening hierarchy, generative edges."""

    def __init__(self, key: tuple, x: Tensor, hierarchy: CoarseningHierarchy, adjacency: Tensor,
                 edge_pairs: Tensor):
        self.key, self.x, self.hierarchy = key, x, hierarchy
        self.adjacency, self.edge_pairs = adjacency, edge_pairs


class CG3(Method):
    r"""CG3 (Wan et al., AAAI 2021): local GCN and hierarchical GCN views trained with cross-view
    contrast, supervised contrast, edge generation and cross-entropy.

    Args:
        in_channels (int): node feature size.
        num_classes (int): number of classes (the size of both views' outputs).
        hidden_channels (int, optional): hidden width of the local GCN. (default: ``1024``)
        hierarchical_hidden_channels (int, optional): hidden width of the hierarchical GCN.
            (default: ``32``)
        num_levels (int, optional): coarsening levels of the hierarchical GCN. (default: ``4``)
        p (float, optional): dropout. (default: ``0.6``)
        temperature (float, optional): temperature of both contrastive terms. (default: ``0.5``)
        unsupervised_weight (float, optional): weight of the cross-view contrast. (default: ``0.9``)
        supervised_weight (float, optional): weight of the supervised contrast. (default: ``0.9``)
        generative_weight (float, optional): weight of the edge-generation loss. (default: ``0.4``)
        classification_weight (float, optional): weight of the cross-entropy. (default: ``1.0``)
        local_weight (float, optional): share of the local view in the prediction. (default: ``0.6``)
        max_node_weight (int, optional): see :func:`coarsening_hierarchy`. (default: ``50``)
        generator (torch.Generator, optional): kept for the contract; CG3's only randomness is dropout,
            which draws from torch's global generator (seed it before training). (default: ``None``)

    Shapes:
        - :meth:`views`: ``(local [N, C], global [N, C])``
        - :meth:`embed`: -> ``[N, C]`` node embeddings (the combined, L2-normalised prediction)

    A zero weight switches its term off (it is then not computed). ``data`` needs ``x``,
    ``edge_index``; the losses also need ``y`` and ``train_mask``.
    """

    embedding_level = "node"

    def __init__(self, in_channels: int, num_classes: int, hidden_channels: int = 1024,
                 hierarchical_hidden_channels: int = 32, num_levels: int = 4, p: float = 0.6,
                 temperature: float = 0.5, unsupervised_weight: float = 0.9, supervised_weight: float = 0.9,
                 generative_weight: float = 0.4, classification_weight: float = 1.0,
                 local_weight: float = 0.6, max_node_weight: int = 50,
                 generator: torch.Generator | None = None):
        super().__init__(generator)

        for name, value in (("in_channels", in_channels), ("hidden_channels", hidden_channels),
                            ("hierarchical_hidden_channels", hierarchical_hidden_channels)):
            check_positive_int(name, value)
        if not isinstance(num_classes, int) or num_classes < 2:
            raise ValueError(f"num_classes must be an integer >= 2, got {num_classes!r}.")
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout p must be in [0, 1), got {p}.")
        if not (isinstance(temperature, (int, float)) and math.isfinite(temperature) and temperature > 0):
            raise ValueError(f"temperature must be a finite number > 0, got {temperature!r}.")
        if not 0.0 <= local_weight <= 1.0:
            raise ValueError(f"local_weight must be in [0, 1], got {local_weight}.")
        self.weights = {"unsupervised": float(unsupervised_weight), "supervised": float(supervised_weight),
                        "generative": float(generative_weight),
                        "classification": float(classification_weight)}
        for name, value in self.weights.items():
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name}_weight must be a finite number >= 0, got {value}.")
        if not any(self.weights.values()):
            raise ValueError("At least one loss weight must be > 0.")
        self.in_channels, self.num_classes, self.hidden_channels = in_channels, num_classes, hidden_channels
        self.p, self.temperature, self.local_weight = p, float(temperature), float(local_weight)
        self.num_levels, self.max_node_weight = num_levels, max_node_weight
        # official layer choices: bias in both local layers, dropout only before the first one
        # the normalised adjacency is precomputed once per graph (prepare), hence normalize=False
        self.local_conv1 = GCNConv(in_channels, hidden_channels, normalize=False, bias=True)
        self.local_conv2 = GCNConv(hidden_channels, num_classes, normalize=False, bias=True)
        self.hierarchical = HierarchicalGCN(in_channels, hierarchical_hidden_channels, num_classes,
                                            num_levels=num_levels, max_node_weight=max_node_weight, p=p)
        self.edge_decoder = nn.Linear(2 * num_classes, 1)
        self._prepared: _Prepared | None = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.local_conv1.reset_parameters()
        self.local_conv2.reset_parameters()
        self.hierarchical.reset_parameters()
        # the official edge decoder is a Glorot-initialised linear layer with a zero bias
        nn.init.xavier_uniform_(self.edge_decoder.weight)
        nn.init.zeros_(self.edge_decoder.bias)

    # ------------------------------------------------------------------ preprocessing
    def prepare(self, data: Data, hierarchy: CoarseningHierarchy | None = None) -> _Prepared:
        """Precompute (once per graph) the sparse features, the hierarchy and the generative edges.

        ``hierarchy`` replaces the coarsening of ``data.edge_index`` (one built by
        :func:`coarsening_hierarchy` from a weighted graph, or kept from an earlier run); it must have
        ``num_levels`` levels over ``data.num_nodes`` nodes.
        """
        x, edge_index = getattr(data, "x", None), getattr(data, "edge_index", None)
        if x is None or edge_index is None:
            raise ValueError("CG3 needs data.x and data.edge_index.")
        key = (x.data_ptr(), tuple(x.shape), edge_index.data_ptr(), tuple(edge_index.shape), x.device)
        if self._prepared is not None and self._prepared.key == key and hierarchy is None:
            return self._prepared
        if x.dim() != 2 or x.size(1) != self.in_channels:
            raise ValueError(f"data.x must have shape [N, {self.in_channels}], got {tuple(x.shape)}.")
        if x.size(0) < 2:
            raise ValueError("CG3 needs a graph with at least 2 nodes.")
        if not torch.isfinite(x).all():
            raise ValueError("data.x contains NaN or infinite values.")
        if edge_index.numel() == 0:
            raise ValueError("CG3 needs a graph with edges (the hierarchical view and the generative loss "
                             "are built on them).")
        num_nodes = x.size(0)
        if hierarchy is None:
            hierarchy = coarsening_hierarchy(edge_index.cpu(), num_nodes, self.num_levels, self.max_node_weight)
        elif not isinstance(hierarchy, CoarseningHierarchy):
            raise TypeError(f"hierarchy must be a CoarseningHierarchy, got {type(hierarchy).__name__}.")
        elif hierarchy.num_levels != self.num_levels or hierarchy.num_nodes[0] != num_nodes:
            raise ValueError(f"hierarchy has {hierarchy.num_levels} levels over {hierarchy.num_nodes[0]} nodes; "
                             f"the model needs {self.num_levels} levels over {num_nodes}.")
        hierarchy = hierarchy.to(x.device)
        # adj_t[target, source]: GCNConv then aggregates with one sparse product
        adjacency = normalized_adjacency(edge_index, num_nodes).matrix
        # the generative loss predicts the edges of the propagation matrix, self-loops included
        edge_pairs = add_remaining_self_loops(edge_index, num_nodes=num_nodes)[0]
        # Planetoid features are ~1% non-zero: a sparse first layer is an order of magnitude faster
        x_sparse = SparsePair.from_tensor(x).matrix if x.layout == torch.strided else x
        self._prepared = _Prepared(key, x_sparse, hierarchy, adjacency, edge_pairs)
        return self._prepared

    # ------------------------------------------------------------------ views
    def views(self, data: Data) -> tuple[Tensor, Tensor]:
        """The two views, L2-normalised: ``(local [N, C], global [N, C])``."""
        prepared = self.prepare(data)
        h = F.relu(self.local_conv1(sparse_aware_dropout(prepared.x, self.p, self.training),
                                    prepared.adjacency))
        local = self.local_conv2(h, prepared.adjacency)
        global_ = self.hierarchical(prepared.x, prepared.hierarchy)
        return F.normalize(local, dim=1), F.normalize(global_, dim=1)

    def combine(self, local: Tensor, global_: Tensor) -> Tensor:
        """The prediction: L2-normalised ``local_weight * local + (1 - local_weight) * global``."""
        return F.normalize(self.local_weight * local + (1.0 - self.local_weight) * global_, dim=1)

    # ------------------------------------------------------------------ losses
    def loss_terms(self, data: Data) -> dict[str, Tensor]:
        """The unweighted loss terms that are switched on (keys from :data:`LOSS_TERMS`)."""
        y, train_mask = getattr(data, "y", None), getattr(data, "train_mask", None)
        if y is None or train_mask is None:
            raise ValueError("CG3 is semi-supervised: data needs y and train_mask.")
        if train_mask.dtype != torch.bool or train_mask.shape != (data.num_nodes,):
            raise ValueError("data.train_mask must be a boolean tensor of shape [num_nodes].")
        if not bool(train_mask.any()):
            raise ValueError("data.train_mask selects no labelled node.")
        local, global_ = self.views(data)
        terms: dict[str, Tensor] = {}
        if self.weights["unsupervised"]:
            terms["unsupervised"] = cross_view_contrast(local, global_, self.temperature)
        if self.weights["supervised"]:
            terms["supervised"] = cross_view_supervised_contrast(local[train_mask], global_[train_mask],
                                                                 y[train_mask], self.temperature)
        if self.weights["generative"]:
            source, target = self.prepare(data).edge_pairs
            # index_select, not local[source]: its backward (index_add) sums in a fixed order, whereas
            # advanced indexing accumulates in a thread-dependent order on a multi-core CPU
            pairs = torch.cat([torch.cat([local.index_select(0, source), global_.index_select(0, target)], dim=1),
                               torch.cat([global_.index_select(0, source), local.index_select(0, target)], dim=1)],
                              dim=0)
            # -log sigmoid(s) = softplus(-s), summed over the two view orders as in the official code
            terms["generative"] = 2.0 * F.softplus(-self.edge_decoder(pairs)).mean()
        if self.weights["classification"]:
            logits = self.combine(local, global_)
            terms["classification"] = F.cross_entropy(logits[train_mask], y[train_mask])
        return terms

    def loss(self, data: Data) -> Tensor:
        """Weighted sum of the switched-on terms (lower is better)."""
        terms = self.loss_terms(data)
        return sum(self.weights[name] * value for name, value in terms.items())

    def embedding(self, data: Data) -> Tensor:
        """Node embeddings ``[N, C]``: the combined, L2-normalised prediction of the two views."""
        return self.combine(*self.views(data))

    def predict(self, data: Data) -> Tensor:
        """Class scores ``[N, C]`` (eval mode, no grad; the same tensor as :meth:`embed`)."""
        return self.embed(data)

    def parameter_groups(self, weight_decay: float) -> list[dict[str, Any]]:
        """Optimizer groups: the L2 penalty on layer weights and biases as in the official code; the
        hierarchical GCN's channel mixing and node-weight embedding are not penalised."""
        exempt = {id(p) for name, p in self.hierarchical.named_parameters()
                  if name.endswith("channel_weight") or name.startswith("node_weight_embedding")}
        decayed = [p for p in self.parameters() if id(p) not in exempt]
        others = [p for p in self.parameters() if id(p) in exempt]
        return [{"params": decayed, "weight_decay": weight_decay}, {"params": others, "weight_decay": 0.0}]

    def __repr__(self) -> str:
        on = ", ".join(f"{k}={v:g}" for k, v in self.weights.items())
        return (f"{self.__class__.__name__}({self.in_channels}, {self.num_classes}, "
                f"hidden_channels={self.hidden_channels}, num_levels={self.num_levels}, p={self.p}, "
                f"temperature={self.temperature:g}, {on})")


@dataclass
class CG3Result:
    """Outcome of :func:`train_cg3`: the model is left at its best-validation epoch."""

    best_epoch: int
    valid_accuracy: float
    test_accuracy: float
    train_accuracy: float
    epochs_run: int
    seconds_per_epoch: float
    history: list = field(default_factory=list)


def _accuracy(scores: Tensor, y: Tensor, mask: Tensor) -> float:
    if not bool(mask.any()):
        return float("nan")
    return float((scores[mask].argmax(dim=1) == y[mask]).float().mean())


def row_normalize(x: Tensor) -> Tensor:
    """Divide each row by its sum (rows summing to zero stay zero), the usual Planetoid preprocessing."""
    total = x.sum(dim=1, keepdim=True)
    return torch.where(total != 0, x / torch.where(total != 0, total, torch.ones_like(total)), x)


def train_cg3(model: CG3, data: Data, epochs: int = 1000, lr: float = 0.01, weight_decay: float = 0.1,
              patience: int | None = None, device: str | torch.device = "auto",
              normalize_features: bool = True, progress: bool = True,
              hierarchy: CoarseningHierarchy | None = None, record_test: bool = False) -> CG3Result:
    """Train CG3 full-batch with Adam and keep the epoch with the best validation accuracy.

    A thin caller of :func:`graphcl.train.train` (full-batch, ``monitor="valid_accuracy"``, mode max).

    The test mask is read once, after training, at the chosen epoch (and at every epoch with
    ``record_test``, never for the choice). With ``patience``, training stops when validation accuracy has
    not improved for that many epochs. Randomness (initialisation, dropout) comes from torch's global
    generator: seed it before calling (``graphcl.utils.seed_everything``).

    Args:
        model (CG3): the model (trained in place; left at the best epoch).
        data (Data): graph with ``x``, ``edge_index``, ``y``, ``train_mask``, ``val_mask``, ``test_mask``.
        epochs (int, optional): maximum epochs. (default: ``1000``)
        lr (float, optional): Adam learning rate. (default: ``0.01``)
        weight_decay (float, optional): L2 penalty, see :meth:`CG3.parameter_groups`. (default: ``0.1``)
        patience (int, optional): early-stopping patience on validation accuracy. (default: ``None``)
        device (str, optional): ``"auto"``, ``"cpu"`` or ``"cuda"``. (default: ``"auto"``)
        normalize_features (bool, optional): row-normalise ``x`` first. (default: ``True``)
        progress (bool, optional): show a progress bar. (default: ``True``)
        hierarchy (CoarseningHierarchy, optional): see :meth:`CG3.prepare`. (default: ``None``)
        record_test (bool, optional): also store each epoch's test accuracy in ``history``, as a
            diagnostic only (e.g. to compare with code that reports the best test epoch); the model is
            still chosen on validation accuracy alone. (default: ``False``)
    """
    check_positive_int("epochs", epochs)
    check_positive_int("patience", patience, optional=True)
    for name in ("y", "train_mask", "val_mask", "test_mask"):
        if getattr(data, name, None) is None:
            raise ValueError(f"train_cg3 needs data.{name}.")
    if not bool(data.val_mask.any()):
        raise ValueError("data.val_mask selects no node: the model is chosen on validation accuracy.")
    device = resolve_device(device)
    data = data.clone()
    if normalize_features:
        data.x = row_normalize(data.x.float())
    data = data.to(device)
    model = model.to(device)
    model.prepare(data, hierarchy)
    optimizer = torch.optim.Adam(model.parameter_groups(weight_decay), lr=lr)

    def loss_with_terms(method: CG3, graph: Data):
        terms = method.loss_terms(graph)
        return sum(method.weights[name] * value for name, value in terms.items()), \
            {f"loss_{name}": value for name, value in terms.items()}

    def evaluate(method: CG3) -> dict[str, float]:
        scores = method.predict(data)
        record = {"valid_accuracy": _accuracy(scores, data.y, data.val_mask)}
        if record_test:
            record["test_accuracy"] = _accuracy(scores, data.y, data.test_mask)
        return record

    options = TrainingOptions(epochs=epochs, lr=lr, weight_decay=weight_decay, monitor="valid_accuracy",
                              monitor_mode="max", patience=patience, progress=progress, device=str(device),
                              handle_signals=False)
    result = train(model, data, options, optimizer=optimizer, loss_fn=loss_with_terms, evaluate=evaluate)
    keys = ("epoch", "loss", "valid_accuracy", *(f"loss_{name}" for name in LOSS_TERMS), "test_accuracy")
    history = [{key: record[key] for key in keys if key in record} for record in result.history]
    seconds = sum(record["seconds"] for record in result.history) / max(result.epochs, 1)
    scores = model.predict(data)
    return CG3Result(best_epoch=result.best_epoch, valid_accuracy=result.best_value,
                     test_accuracy=_accuracy(scores, data.y, data.test_mask),
                     train_accuracy=_accuracy(scores, data.y, data.train_mask), epochs_run=result.epochs,
                     seconds_per_epoch=seconds, history=history)


def label_rate_split(y: Tensor, label_rate: float, num_valid: int = 500, num_test: int = 1000,
                     generator: torch.Generator | None = None) -> dict[str, Tensor]:
    """Class-balanced low-label-rate split (CG3, Sec. 5): ``label_rate * N`` labelled nodes spread evenly
    over the classes (at least one per class), then ``num_valid`` validation and ``num_test`` test nodes
    drawn at random from the rest.

    Args:
        y (Tensor): ``[N]`` class labels.
        label_rate (float): fraction of all nodes that is labelled, in ``(0, 1]``.
        num_valid (int, optional): validation nodes. (default: ``500``)
        num_test (int, optional): test nodes. (default: ``1000``)
        generator (torch.Generator, optional): source of randomness.

    Returns:
        dict: index tensors under ``"train"``, ``"valid"``, ``"test"``.
    """
    if not isinstance(label_rate, (int, float)) or not 0.0 < label_rate <= 1.0:
        raise ValueError(f"label_rate must be in (0, 1], got {label_rate!r}.")
    if y.dim() != 1 or y.is_floating_point():
        raise ValueError("y must be a 1-D tensor of integer class labels.")
    num_nodes, classes = y.numel(), torch.unique(y)
    per_class = max(1, round(label_rate * num_nodes / classes.numel()))
    train = []
    for c in classes.tolist():
        members = (y == c).nonzero().view(-1)
        if members.numel() < per_class:
            raise ValueError(f"Class {c} has {members.numel()} nodes, fewer than the {per_class} requested.")
        train.append(members[torch.randperm(members.numel(), generator=generator)[:per_class]])
    train = torch.cat(train).sort().values
    rest = torch.ones(num_nodes, dtype=torch.bool)
    rest[train] = False
    rest = rest.nonzero().view(-1)
    if rest.numel() < num_valid + num_test:
        raise ValueError(f"Only {rest.numel()} unlabelled nodes for {num_valid} validation and {num_test} test.")
    rest = rest[torch.randperm(rest.numel(), generator=generator)]
    return {"train": train, "valid": rest[:num_valid].sort().values,
            "test": rest[num_valid:num_valid + num_test].sort().values}


def with_split(data: Data, split: dict[str, Tensor]) -> Data:
    """A shallow copy of ``data`` whose ``train_mask``/``val_mask``/``test_mask`` come from ``split``
    (index tensors under ``"train"``, ``"valid"``, ``"test"``)."""
    missing = {"train", "valid", "test"} - set(split)
    if missing:
        raise ValueError(f"split lacks {sorted(missing)}.")
    out = copy.copy(data)
    for key, name in (("train", "train_mask"), ("valid", "val_mask"), ("test", "test_mask")):
        mask = torch.zeros(data.num_nodes, dtype=torch.bool)
        mask[split[key]] = True
        setattr(out, name, mask)
    return out
