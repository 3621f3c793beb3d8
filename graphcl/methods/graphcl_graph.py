"""GraphCL at the graph level (You et al., NeurIPS 2020, https://arxiv.org/abs/2010.13902).

Two views of every graph, a shared encoder, a projection head and NT-Xent between the views' graph
embeddings. The defaults follow the official unsupervised TU code: the first view is the graph itself and
the second an augmented copy whose augmentation is drawn per graph from the chosen mode's set.
"""
from __future__ import annotations

from typing import Callable, Mapping, Optional, Sequence

import torch
from torch import Tensor, nn
from torch_geometric.data import Batch, Data

from graphcl.augment import AUGMENTATIONS, make_augmentation
from graphcl.utils.modes import evaluation_mode

#: The augmentation modes of the official unsupervised TU code, as sets of named augmentations.
GRAPHCL_AUGMENTATION_MODES: dict[str, tuple[str, ...]] = {
    "dnodes": ("node_drop",),
    "pedges": ("edge_perturb",),
    "subgraph": ("subgraph",),
    "mask_nodes": ("attr_mask",),
    "random2": ("node_drop", "subgraph"),
    "random3": ("node_drop", "edge_perturb", "subgraph"),
    "random4": ("node_drop", "edge_perturb", "subgraph", "attr_mask"),
    "none": ("identity",),
}

LossFunction = Callable[[Tensor, Tensor], Tensor]

#: Subgraph strength of the official GraphCL chemistry code (``transferLearning_MoleculeNet_PPI/chem``): the
#: subgraph keeps 20 % of the atoms (``p = 0.8`` nodes removed), while node dropping removes 20 %. graphcl's
#: default keeps 80 % (``p = 0.2`` for every augmentation, as the paper states).
GRAPHCL_CHEM_SUBGRAPH_P = 0.8


def projection_head(channels: int, hidden_channels: Optional[int] = None,
                    out_channels: Optional[int] = None) -> nn.Sequential:
    """The 2-layer MLP projection head of GraphCL (Linear-ReLU-Linear, all ``channels`` wide by default)."""
    hidden_channels = hidden_channels or channels
    out_channels = out_channels or channels
    return nn.Sequential(nn.Linear(channels, hidden_channels), nn.ReLU(), nn.Linear(hidden_channels, out_channels))


def reset_linear_xavier(module: nn.Module) -> None:
    """Xavier-uniform weights and zero biases for every Linear (the official initialisation)."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)


def build_augmentations(names: Sequence[str], p: float, mask_mode: str = "gaussian",
                        generator: Optional[torch.Generator] = None,
                        strengths: Optional[Mapping[str, float]] = None) -> list:
    """Named augmentations at strength ``p`` (``strengths[name]`` where given, e.g.
    ``{"subgraph": GRAPHCL_CHEM_SUBGRAPH_P}``); attribute masking uses ``mask_mode`` (``"gaussian"`` as the
    official TU code)."""
    strengths = dict(strengths or {})
    unknown = sorted(set(strengths) - set(names))
    if unknown:
        raise ValueError(f"strengths given for {unknown}, which are not among the augmentations {list(names)}")
    built = []
    for name in names:
        if name not in AUGMENTATIONS:
            raise ValueError(f"unknown augmentation {name!r}; choose from {sorted(AUGMENTATIONS)}")
        kwargs = {"generator": generator}
        if name == "attr_mask":
            kwargs["mode"] = mask_mode
        built.append(make_augmentation(name, strengths.get(name, p), **kwargs))
    return built


def augment_per_graph(data: Data, transforms: Sequence[Callable[[Data], Data]],
                      generator: Optional[torch.Generator] = None) -> Data:
    """Apply to every graph of a batch one transform drawn uniformly from ``transforms``.

    Graphs that drew the same transform are augmented together (one vectorized call per transform) and the
    pieces are merged back in the original graph order, so graph ``i`` of the result is an augmented copy of
    graph ``i`` of ``data``. With several transforms the merged batch carries node-level and edge-level
    tensors, ``edge_index``, ``batch``, ``ptr`` and the graph-level tensors of ``data``: enough for any
    encoder, but not meant for :meth:`~torch_geometric.data.Batch.to_data_list`.
    """
    if len(transforms) == 1:
        return transforms[0](data)
    if not isinstance(data, Batch):
        index = int(torch.randint(len(transforms), (1,), generator=generator))
        return transforms[index](data)
    num_graphs = data.num_graphs
    choice = torch.randint(len(transforms), (num_graphs,), generator=generator)
    graphs = data.to_data_list()
    parts, owners = [], []
    for index, transform in enumerate(transforms):
        members = (choice == index).nonzero().view(-1)
        if members.numel() == 0:
            continue
        group = Batch.from_data_list([graphs[i] for i in members.tolist()])
        parts.append(transform(group))
        owners.append(members.to(data.batch.device))
    if len(parts) == 1:
        return parts[0]
    return _merge_in_order(data, parts, owners)


def _merge_in_order(data: Batch, parts: Sequence[Batch], owners: Sequence[Tensor]) -> Batch:
    """Concatenate augmented sub-batches, then sort nodes (and edges) back into the original graph order."""
    node_graph = torch.cat([owner[part.batch] for part, owner in zip(parts, owners)])
    node_offsets = torch.tensor([0] + [part.num_nodes for part in parts[:-1]]).cumsum(0).tolist()
    edge_index = torch.cat([part.edge_index + offset for part, offset in zip(parts, node_offsets)], dim=1)
    node_order = torch.sort(node_graph, stable=True).indices
    new_position = torch.empty_like(node_order)
    new_position[node_order] = torch.arange(node_order.numel(), device=node_order.device)
    edge_index = new_position[edge_index]
    edge_order = torch.sort(node_graph[node_order][edge_index[0]], stable=True).indices
    out = Batch()
    node_keys = [key for key in parts[0].keys() if key not in ("batch", "ptr", "edge_index")
                 and isinstance(parts[0][key], Tensor) and parts[0].is_node_attr(key)]
    edge_keys = [key for key in parts[0].keys() if key not in ("batch", "ptr", "edge_index")
                 and isinstance(parts[0][key], Tensor) and parts[0].is_edge_attr(key)]
    for key in node_keys:
        out[key] = torch.cat([part[key] for part in parts])[node_order]
    for key in edge_keys:
        out[key] = torch.cat([part[key] for part in parts])[edge_order]
    out.edge_index = edge_index[:, edge_order]
    out.batch = node_graph[node_order]
    counts = torch.bincount(out.batch, minlength=data.num_graphs)
    out.ptr = torch.cat([counts.new_zeros(1), counts.cumsum(0)])
    for key in data.keys():
        value = data[key]
        if key not in ("batch", "ptr") and key not in out and isinstance(value, Tensor) and value.dim() > 0 \
                and value.size(0) == data.num_graphs and not data.is_node_attr(key) and not data.is_edge_attr(key):
            out[key] = value
    return out


class GraphCL(nn.Module):
    r"""Graph-level GraphCL.

    Args:
        encoder (nn.Module): returns :class:`~graphcl.nn.EncoderOutput` with graph embeddings; it must
            expose ``out_channels`` (e.g. :class:`~graphcl.nn.GINEncoder`).
        augmentation (str or sequence of str, optional): an official mode (``"dnodes"``, ``"pedges"``,
            ``"subgraph"``, ``"mask_nodes"``, ``"random2"``, ``"random3"``, ``"random4"``, ``"none"``, see
            :data:`GRAPHCL_AUGMENTATION_MODES`) or names from :data:`graphcl.augment.AUGMENTATIONS`; each
            augmented graph draws one of them. (default: :obj:`"random2"`)
        p (float, optional): augmentation strength. (default: :obj:`0.2`)
        augment_both (bool, optional): augment both views (the paper's formulation) instead of contrasting
            the graph with one augmented copy (the official TU code). (default: :obj:`False`)
        temperature (float, optional): NT-Xent temperature. (default: :obj:`0.2`)
        exclude_positive (bool, optional): the official denominator without the positive pair; ``False``
            gives SimCLR's. (default: :obj:`True`)
        loss (callable, optional): any ``(z1, z2) -> scalar`` replacing NT-Xent. (default: :obj:`None`)
        mask_mode (str, optional): fill of attribute masking. (default: :obj:`"gaussian"`)
        generator (torch.Generator, optional): source of the augmentation randomness. (default: ``None``)
        strengths (dict, optional): per-augmentation strengths replacing ``p``, e.g. the official chemistry
            setting ``{"subgraph": GRAPHCL_CHEM_SUBGRAPH_P}`` (the subgraph keeps 20 % of the atoms while node
            dropping removes 20 %). (default: ``None``)

    Example:
        >>> from graphcl.nn import GINEncoder
        >>> model = GraphCL(GINEncoder(7), augmentation="random4")
    """

    def __init__(self, encoder: nn.Module, augmentation: str | Sequence[str] = "random2", p: float = 0.2,
                 augment_both: bool = False, temperature: float = 0.2, exclude_positive: bool = True,
                 loss: Optional[LossFunction] = None, mask_mode: str = "gaussian",
                 generator: Optional[torch.Generator] = None,
                 strengths: Optional[Mapping[str, float]] = None) -> None:
        super().__init__()
        from graphcl.losses import NTXentLoss

        if isinstance(augmentation, str):
            if augmentation not in GRAPHCL_AUGMENTATION_MODES:
                raise ValueError(f"unknown augmentation mode {augmentation!r}; choose from "
                                 f"{sorted(GRAPHCL_AUGMENTATION_MODES)} or pass a list of augmentation names")
            names = GRAPHCL_AUGMENTATION_MODES[augmentation]
        else:
            names = tuple(augmentation)
            if not names:
                raise ValueError("augmentation must name at least one augmentation")
        channels = getattr(encoder, "out_channels", None)
        if not isinstance(channels, int):
            raise TypeError("encoder must expose an int attribute out_channels")
        if loss is not None and not callable(loss):
            raise TypeError("loss must be a callable (z1, z2) -> scalar")
        self.encoder = encoder
        self.augmentation = augmentation if isinstance(augmentation, str) else list(names)
        self.augmentation_names = names
        self.p = float(p)
        self.augment_both = bool(augment_both)
        self.generator = generator
        self.transforms = build_augmentations(names, p, mask_mode, generator, strengths)
        self.projection = projection_head(channels)
        self.loss_fn = loss if loss is not None else NTXentLoss(temperature, exclude_positive=exclude_positive)
        self.config = {"augmentation": self.augmentation, "p": self.p, "augment_both": self.augment_both,
                       "temperature": temperature, "exclude_positive": exclude_positive,
                       "mask_mode": mask_mode}
        if strengths:
            self.config["strengths"] = dict(strengths)
        reset_linear_xavier(self.projection)

    def reset_parameters(self) -> None:
        self.encoder.reset_parameters()
        reset_linear_xavier(self.projection)

    def views(self, data: Data) -> tuple[Data, Data]:
        """The two views of ``data`` (a new second view; the first is ``data`` unless ``augment_both``)."""
        first = augment_per_graph(data, self.transforms, self.generator) if self.augment_both else data
        return first, augment_per_graph(data, self.transforms, self.generator)

    def project(self, data: Data) -> Tensor:
        """Projected graph embeddings ``[B, d]``."""
        return self.projection(self.encoder(data).graph)

    def loss(self, data: Data) -> Tensor:
        """Contrastive loss of a batch of graphs (lower is better)."""
        first, second = self.views(data)
        return self.loss_fn(self.project(first), self.project(second))

    @torch.no_grad()
    def embed(self, data: Data) -> Tensor:
        """Encoder graph embeddings ``[B, d]`` (not projected), in eval mode without gradients."""
        with evaluation_mode(self):
            return self.encoder(data).graph

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(encoder={self.encoder!r}, augmentation={self.augmentation!r}, "
                f"p={self.p:g}, loss={self.loss_fn!r})")
