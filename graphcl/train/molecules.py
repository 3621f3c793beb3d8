"""Molecular pretraining set-ups: GraphCL, JOAO and JOAOv2 on OGB-featurized molecules.

Settings follow the transfer protocol of GraphCL (You et al., NeurIPS 2020) and JOAO (ICML 2021):
:class:`~graphcl.nn.MoleculeGINEncoder` 5 x 300 with mean pooling, augmentations at strength 0.2,
NT-Xent with temperature 0.1 and the positive left out of the denominator, Adam lr 1e-3, batch 256.
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import nn

from graphcl.augment import JOAO_AUGMENTATIONS, MaskAttributes
from graphcl.data.featurizers import get_featurizer
from graphcl.methods.graphcl_graph import GRAPHCL_CHEM_SUBGRAPH_P, GraphCL
from graphcl.methods.joao import JOAO, JOAOv2
from graphcl.nn.molecule_gin import MoleculeGINEncoder

MOLECULE_METHODS = ("graphcl", "joao", "joaov2")

#: Atom-feature row that stands for a masked atom. OGB's ``AtomEncoder`` has no dedicated mask row, so
#: each categorical column uses its own "misc"/"other" category (the last index); the two boolean
#: columns (aromatic, in ring) use False.
OGB_ATOM_MASK_TOKEN = (118, 4, 11, 11, 9, 5, 5, 0, 0)

#: Default pretraining settings of the transfer protocol.
MOLECULE_PRETRAIN_DEFAULTS = {"lr": 1e-3, "batch_size": 256, "epochs": 100, "p": 0.2, "temperature": 0.1}


def build_molecule_method(name: str, encoder: Optional[nn.Module] = None, p: float = 0.2,
                          temperature: float = 0.1, gamma: float = 0.1,
                          generator: Optional[torch.Generator] = None, featurizer: Optional[str] = None,
                          chem_subgraph: bool = False) -> nn.Module:
    """A GraphCL / JOAO / JOAOv2 method for molecules.

    GraphCL augments both views, each graph drawing node dropping or subgraph at strength ``p`` (the
    molecular setting of the paper). JOAO/JOAOv2 use the full pool; attribute masking writes the
    featurizer's mask token (:data:`OGB_ATOM_MASK_TOKEN` for OGB features) into the categorical atom features.

    Args:
        name (str): ``"graphcl"``, ``"joao"`` or ``"joaov2"``.
        encoder (nn.Module, optional): defaults to ``MoleculeGINEncoder()`` (5 x 300, mean pooling).
        featurizer (str, optional): ``"ogb"`` or ``"hu2020"``; default: the encoder's.
        chem_subgraph (bool, optional): the official GraphCL chemistry subgraph, which keeps 20 % of the atoms
            (:data:`~graphcl.methods.graphcl_graph.GRAPHCL_CHEM_SUBGRAPH_P`); GraphCL only. (default: ``False``)
    """
    key = name.lower()
    if key not in MOLECULE_METHODS:
        raise ValueError(f"unknown molecular pretraining method {name!r}; choose from {MOLECULE_METHODS}")
    encoder = encoder if encoder is not None else MoleculeGINEncoder(featurizer=featurizer or "ogb")
    featurizer = get_featurizer(featurizer or getattr(encoder, "config", {}).get("featurizer", "ogb"))
    if key == "graphcl":
        strengths = {"subgraph": GRAPHCL_CHEM_SUBGRAPH_P} if chem_subgraph else None
        return GraphCL(encoder, augmentation=("node_drop", "subgraph"), p=p, augment_both=True,
                       temperature=temperature, exclude_positive=True, mask_mode="zero", generator=generator,
                       strengths=strengths)
    if chem_subgraph:
        raise ValueError("chem_subgraph applies to GraphCL; JOAO draws its own augmentation pairs")
    # attribute masking writes the featurizer's mask token into the categorical atom features
    token = torch.tensor(featurizer.atom_mask_token)
    pool = [MaskAttributes(p, mode="token", mask_value=token, generator=generator)
            if name == "attr_mask" else name for name in JOAO_AUGMENTATIONS]
    cls = JOAO if key == "joao" else JOAOv2
    return cls(encoder, augmentations=pool, p=p, gamma=gamma, temperature=temperature, exclude_positive=True,
               generator=generator)
