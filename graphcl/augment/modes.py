"""The augmentation modes of GraphCL's official unsupervised TU code (You et al., NeurIPS 2020,
https://arxiv.org/abs/2010.13902), as sets of named augmentations, and building them."""
from __future__ import annotations

from typing import Mapping, Optional, Sequence

import torch

from graphcl.augment.base import Augmentation
from graphcl.augment.registry import AUGMENTATIONS, make_augmentation

#: The augmentation modes of the official unsupervised TU code, as sets of named augmentations; each graph
#: draws one member of its mode's set (:func:`~graphcl.augment.random_choice_per_graph`).
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


def build_augmentations(names: Sequence[str], p: float, mask_mode: str = "gaussian",
                        generator: Optional[torch.Generator] = None,
                        strengths: Optional[Mapping[str, float]] = None) -> list[Augmentation]:
    """Named augmentations at strength ``p`` (``strengths[name]`` where given, e.g. ``{"subgraph": 0.8}``);
    attribute masking uses ``mask_mode`` (``"gaussian"`` as the official TU code).

    Example:
        >>> build_augmentations(GRAPHCL_AUGMENTATION_MODES["random2"], 0.2)
        [DropNodes(p=0.2), SampleSubgraph(p=0.2)]
    """
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
