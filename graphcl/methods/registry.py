"""Method names, as the command line and the benchmark runners spell them, resolved to their classes."""
from __future__ import annotations

from typing import Any

from graphcl.methods.base import Method
from graphcl.methods.bgrl import BGRL, GraphBGRL
from graphcl.methods.cg3 import CG3
from graphcl.methods.dgi import DGI
from graphcl.methods.grace import GRACE
from graphcl.methods.graphcl_graph import GraphCL
from graphcl.methods.graphcl_node import NodeGraphCL
from graphcl.methods.infograph import InfoGraph
from graphcl.methods.joao import JOAO, JOAOv2
from graphcl.methods.mocl import MoCL
from graphcl.methods.moco import MoCo
from graphcl.methods.mvgrl import MVGRL
from graphcl.methods.mvgrl_graph import GraphMVGRL
from graphcl.methods.simsiam import SimSiam

#: Node-level methods by name (``graphcl pretrain --method``).
NODE_METHODS: dict[str, type[Method]] = {"dgi": DGI, "graphcl": NodeGraphCL, "bgrl": BGRL, "cg3": CG3,
                                         "grace": GRACE, "mvgrl": MVGRL}

#: Graph-level methods by name (``graphcl tu-unsupervised --methods``, molecular pretraining).
GRAPH_METHODS: dict[str, type[Method]] = {"graphcl": GraphCL, "joao": JOAO, "joaov2": JOAOv2, "mocl": MoCL,
                                          "moco": MoCo, "simsiam": SimSiam, "bgrl": GraphBGRL,
                                          "infograph": InfoGraph, "mvgrl": GraphMVGRL}

_LEVELS = {"node": NODE_METHODS, "graph": GRAPH_METHODS}


def method_class(name: str, level: str = "graph") -> type[Method]:
    """The class registered as ``name`` at ``level`` (``"node"`` or ``"graph"``).

    Example:
        >>> method_class("joao")
        <class 'graphcl.methods.joao.JOAO'>
    """
    if level not in _LEVELS:
        raise ValueError(f"level must be 'node' or 'graph', got {level!r}")
    table = _LEVELS[level]
    key = name.lower()
    if key not in table:
        raise ValueError(f"unknown {level}-level method {name!r}; choose from {sorted(table)}")
    return table[key]


def build_method(name: str, *args: Any, level: str = "graph", **kwargs: Any) -> Method:
    """``method_class(name, level)(*args, **kwargs)``: e.g. ``build_method("graphcl", GINEncoder(7))``."""
    return method_class(name, level)(*args, **kwargs)


def register_method(name: str, cls: type[Method], level: str = "graph") -> None:
    """Make a user-defined :class:`~graphcl.methods.Method` available under ``name``."""
    if not (isinstance(cls, type) and issubclass(cls, Method)):
        raise TypeError(f"{cls!r} is not a subclass of graphcl.methods.Method")
    if level not in _LEVELS:
        raise ValueError(f"level must be 'node' or 'graph', got {level!r}")
    _LEVELS[level][name.lower()] = cls
