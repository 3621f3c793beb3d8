"""Named augmentations, e.g. the pool JOAO (You et al., ICML 2021, https://arxiv.org/abs/2106.07594)
samples its augmentation pairs from."""
from __future__ import annotations

from typing import Any

from graphcl.augment.attribute_mask import MaskAttributes
from graphcl.augment.base import Augmentation
from graphcl.augment.compose import Identity
from graphcl.augment.edge_drop import DropEdges
from graphcl.augment.edge_perturb import PerturbEdges
from graphcl.augment.feature_shuffle import ShuffleNodeFeatures
from graphcl.augment.node_drop import DropNodes
from graphcl.augment.subgraph import SampleSubgraph

#: JOAO's augmentation pool, in the order of the official code (pair index ``i * 5 + j``).
JOAO_AUGMENTATIONS: tuple[str, ...] = ("node_drop", "subgraph", "edge_perturb", "attr_mask", "identity")

AUGMENTATIONS: dict[str, type[Augmentation]] = {
    "node_drop": DropNodes,
    "subgraph": SampleSubgraph,
    "edge_perturb": PerturbEdges,
    "attr_mask": MaskAttributes,
    "identity": Identity,
    "edge_drop": DropEdges,
    "feature_shuffle": ShuffleNodeFeatures,
}


def make_augmentation(name: str, p: float = 0.2, **kwargs: Any) -> Augmentation:
    """Build a named augmentation.

    Args:
        name (str): one of :data:`AUGMENTATIONS` (``"node_drop"``, ``"subgraph"``, ``"edge_perturb"``,
            ``"attr_mask"``, ``"identity"``, ``"edge_drop"``, ``"feature_shuffle"``).
        p (float, optional): strength; ignored by ``"identity"`` and ``"feature_shuffle"``.
            (default: :obj:`0.2`)
        **kwargs: passed to the transform (e.g. ``mode="gaussian"``, ``generator=...``).

    Example:
        >>> make_augmentation("node_drop", 0.2)
        DropNodes(p=0.2)
    """
    if name not in AUGMENTATIONS:
        raise ValueError(f"unknown augmentation {name!r}; choose from {sorted(AUGMENTATIONS)}")
    cls = AUGMENTATIONS[name]
    if cls in (Identity, ShuffleNodeFeatures):
        if cls is Identity:
            return Identity(**kwargs)
        return ShuffleNodeFeatures(**kwargs)
    return cls(p, **kwargs)
