"""The contract every pretraining method follows.

A method is an :class:`~torch.nn.Module` built from objects — an encoder, augmentation callables, a loss
module — whose randomness comes from a :class:`torch.Generator` given at construction. It offers

- :meth:`Method.loss` ``(batch) -> Tensor``: the scalar training objective of a batch (lower is better);
- :meth:`Method.embed` ``(batch) -> Tensor``: frozen embeddings in eval mode without gradients, of one
  documented kind per method (:attr:`Method.embedding_level` is ``"node"`` or ``"graph"``);
- :meth:`Method.reset_parameters`;
- :attr:`Method.config`: the constructor arguments, as plain JSON-friendly values (objects are described
  by their class name and their own ``config`` when they have one).

Anything that trains with :func:`graphcl.train.pretrain` only relies on this contract; optional hooks are
``on_epoch_end(loader) -> dict`` (JOAO's distribution update) and ``after_step()`` (momentum updates).
"""
from __future__ import annotations

import functools
import inspect
import numbers
from typing import Any, Callable, ClassVar, Mapping, Optional, Sequence

import torch
from torch import Tensor, nn
from torch_geometric.data import Data

from graphcl.augment import GRAPHCL_AUGMENTATION_MODES, build_augmentations, random_choice_per_graph
from graphcl.nn.output import EncoderOutput
from graphcl.utils.modes import evaluation_mode

#: Constructor arguments left out of :attr:`Method.config` (runtime objects, not settings).
_NOT_CONFIG = frozenset({"self", "generator"})


def describe(value: Any) -> Any:
    """A JSON-friendly description of a constructor argument.

    Numbers, strings, ``None`` and containers of them are kept; a module or callable becomes its class or
    function name, with its own ``config`` when it has one.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [describe(item) for item in value]
    if isinstance(value, dict):
        return {str(key): describe(item) for key, item in value.items()}
    if isinstance(value, Tensor):
        return value.tolist() if value.numel() <= 64 else f"Tensor{tuple(value.shape)}"
    config = getattr(value, "config", None)
    name = getattr(value, "__name__", None) or type(value).__name__
    if isinstance(config, dict):
        return {"class": type(value).__name__, **describe(config)}
    if inspect.isfunction(value) or inspect.isbuiltin(value):
        return name
    return repr(value)


def _records_arguments(init: Callable) -> Callable:
    """Wrap ``__init__`` so that the outermost call stores its bound arguments on the instance."""
    signature = inspect.signature(init)

    @functools.wraps(init)
    def wrapper(self, *args, **kwargs):
        if "_constructor_arguments" not in self.__dict__:
            bound = signature.bind(self, *args, **kwargs)
            bound.apply_defaults()
            arguments = dict(bound.arguments)
            for name, parameter in signature.parameters.items():
                if parameter.kind is inspect.Parameter.VAR_KEYWORD:
                    arguments.update(arguments.pop(name, {}))
                elif parameter.kind is inspect.Parameter.VAR_POSITIONAL:
                    arguments.pop(name, None)
            object.__setattr__(self, "_constructor_arguments", arguments)
        init(self, *args, **kwargs)

    return wrapper


def encoder_channels(encoder: nn.Module) -> int:
    """The embedding size ``out_channels`` an encoder must expose.

    Raises:
        TypeError: when ``encoder`` is not a module or has no integer ``out_channels``.
    """
    if not isinstance(encoder, nn.Module):
        raise TypeError(f"the encoder must be an nn.Module, got {type(encoder).__name__}")
    channels = getattr(encoder, "out_channels", None)
    if isinstance(channels, bool) or not isinstance(channels, numbers.Integral):
        raise TypeError(f"{type(encoder).__name__} must expose an int attribute out_channels")
    return int(channels)


def encode(encoder: nn.Module, data: Data) -> EncoderOutput:
    """Run ``encoder(data)`` and check that it returned an :class:`~graphcl.nn.EncoderOutput`."""
    out = encoder(data)
    if not isinstance(out, EncoderOutput):
        raise TypeError(f"{type(encoder).__name__} returned {type(out).__name__}; an encoder of a method must "
                        "return graphcl.nn.EncoderOutput(node, graph)")
    return out


def encode_graphs(encoder: nn.Module, data: Data) -> Tensor:
    """Graph embeddings ``[B, d]`` of ``encoder`` (an error for encoders that do not pool)."""
    graph = encode(encoder, data).graph
    if graph is None:
        raise ValueError(f"{type(encoder).__name__} returns no graph embeddings; a graph-level method needs an "
                         "encoder that pools (EncoderOutput.graph)")
    return graph


Augmentation = Callable[[Data], Data]


def resolve_augmentations(augmentation: str | Sequence[str | Augmentation], p: float = 0.2,
                          mask_mode: str = "gaussian", generator: Optional[torch.Generator] = None,
                          strengths: Optional[Mapping[str, float]] = None) -> list[Augmentation]:
    """The augmentation callables of a method.

    Args:
        augmentation: a GraphCL mode (``"random2"``, ... see :data:`graphcl.augment.GRAPHCL_AUGMENTATION_MODES`)
            or a sequence whose items are augmentation names (built at strength ``p``, attribute masking with
            ``mask_mode``, drawing from ``generator``) or callables ``Data -> Data`` used as they are (e.g.
            :class:`~graphcl.augment.SubstructureSubstitution`).
        strengths: strengths replacing ``p`` for some named augmentations, e.g. ``{"subgraph": 0.8}``.
    """
    if isinstance(augmentation, str):
        if augmentation not in GRAPHCL_AUGMENTATION_MODES:
            raise ValueError(f"unknown augmentation mode {augmentation!r}; choose from "
                             f"{sorted(GRAPHCL_AUGMENTATION_MODES)} or pass a list of augmentations")
        return build_augmentations(GRAPHCL_AUGMENTATION_MODES[augmentation], p, mask_mode, generator, strengths)
    items = list(augmentation)
    if not items:
        raise ValueError("augmentation must name at least one augmentation")
    names = [item for item in items if isinstance(item, str)]
    unknown = sorted(set(strengths or {}) - set(names))
    if unknown:
        raise ValueError(f"strengths given for {unknown}, which are not among the named augmentations {names}")
    built = []
    for item in items:
        if isinstance(item, str):
            strength = (strengths or {}).get(item, p)
            built.extend(build_augmentations([item], strength, mask_mode, generator))
        elif callable(item):
            built.append(item)
        else:
            raise TypeError(f"an augmentation must be a name or a callable Data -> Data, got {item!r}")
    return built


def graph_views(data: Data, augmentations: Sequence[Augmentation], generator: Optional[torch.Generator],
                augment_both: bool = True) -> tuple[Data, Data]:
    """Two views of a batch; each graph of each augmented view draws one of ``augmentations``
    (:func:`~graphcl.augment.random_choice_per_graph`). With ``augment_both=False`` the first view is
    ``data`` itself (GraphCL's official TU code)."""
    first = random_choice_per_graph(data, augmentations, generator=generator) if augment_both else data
    return first, random_choice_per_graph(data, augmentations, generator=generator)


class Method(nn.Module):
    r"""Base class of the pretraining methods (see the module docstring for the contract).

    Subclasses call ``super().__init__(generator)``, build their parts from the objects they are given and
    implement :meth:`loss` and :meth:`embedding`; :meth:`embed` wraps :meth:`embedding` in eval mode
    without gradients. :attr:`config` is recorded from the constructor arguments automatically.

    Args:
        generator (torch.Generator, optional): source of every random draw the method makes (views,
            corruptions, sampled pairs). (default: :obj:`None`, the global RNG)
    """

    #: What :meth:`embed` returns: ``"node"`` (``[N, d]``) or ``"graph"`` (``[B, d]``) embeddings.
    embedding_level: ClassVar[str] = "graph"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            cls.__init__ = _records_arguments(cls.__init__)

    def __init__(self, generator: Optional[torch.Generator] = None) -> None:
        super().__init__()
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
        self.generator = generator

    @property
    def config(self) -> dict[str, Any]:
        """The constructor arguments (without the generator), as JSON-friendly values."""
        arguments = self.__dict__.get("_constructor_arguments", {})
        return {key: describe(value) for key, value in arguments.items() if key not in _NOT_CONFIG}

    def loss(self, batch: Data) -> Tensor:
        """The training objective of ``batch``, a scalar (lower is better)."""
        raise NotImplementedError

    def embedding(self, batch: Data) -> Tensor:
        """The embeddings :meth:`embed` returns, computed in the current mode with gradients."""
        raise NotImplementedError

    @torch.no_grad()
    def embed(self, batch: Data) -> Tensor:
        """Frozen embeddings of ``batch`` (eval mode, no gradient): ``[N, d]`` node embeddings for
        node-level methods, ``[B, d]`` graph embeddings for graph-level ones (:attr:`embedding_level`)."""
        with evaluation_mode(self):
            return self.embedding(batch).detach()

    def forward(self, batch: Data) -> Tensor:
        """Same as :meth:`loss`, so that the method can be wrapped by DistributedDataParallel."""
        return self.loss(batch)

    def reset_parameters(self) -> None:
        """Reset every sub-module that knows how to (encoder, heads, discriminators)."""
        for child in self.children():
            reset = getattr(child, "reset_parameters", None)
            if callable(reset):
                reset()

    def __repr__(self) -> str:
        parts = []
        for key, value in self.config.items():
            argument = self.__dict__["_constructor_arguments"][key]
            shown = repr(argument) if isinstance(argument, nn.Module) else repr(value)
            parts.append(f"{key}={shown}")
        return f"{type(self).__name__}({', '.join(parts)})"
