"""The node-level protocol of DGI (Veličković et al., ICLR 2019) and GraphCL's citation experiments: pretrain
a node encoder without labels, embed every node, train logistic regression on the frozen embeddings.

Graphs are named (``Cora``, ``CiteSeer``, ``PubMed``, ``ogbn-arxiv``, ``ogbn-products``) or given as files
(:func:`graphcl.data.load_graph_file`). Training is full-batch with early stopping (DGI's official code,
:func:`graphcl.methods.train_full_batch`) or, with ``batch_size`` and ``num_neighbors``, on
neighbour-sampled mini-batches through :func:`graphcl.train.pretrain` (several processes under ``torchrun``,
each with its own seed nodes); embeddings are then computed layer by layer in chunks
(:func:`graphcl.eval.node_embeddings.layerwise_embeddings`). The CLI (``graphcl pretrain``/``evaluate``) and
``benchmarks/node_classification.py`` call this module.
"""
from __future__ import annotations

import copy
import math
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Optional, Sequence

import torch
from torch.utils.data import DistributedSampler
from torch_geometric.data import Data
from torch_geometric.transforms import NormalizeFeatures

from graphcl.data.graph_files import is_graph_file, labelled_split, load_graph_file
from graphcl.data.neighbor_sampler import check_num_neighbors, neighbor_loader
from graphcl.data.ogb_nodes import is_ogb_node_name, load_ogb_node
from graphcl.data.planetoid import PLANETOID_NAMES, load_planetoid
from graphcl.eval.linear_probe import LinearProbeResult, linear_probe
from graphcl.eval.node_embeddings import DEFAULT_CHUNK_SIZE, layerwise_embeddings
from graphcl.methods.base import Method
from graphcl.methods.dgi import DGI, train_full_batch
from graphcl.methods.grace import GRACE_SETTINGS, build_grace, grace_settings
from graphcl.methods.graphcl_node import NodeGraphCL
from graphcl.methods.mvgrl import build_mvgrl
from graphcl.train.distributed import distributed_env
from graphcl.train.loop import pretrain
from graphcl.utils import environment_info, make_generator, peak_memory_mb, resolve_device, seed_everything
from graphcl.utils.checks import check_positive_int

NODE_METHODS = ("dgi", "graphcl", "grace", "mvgrl")
METHOD_NAMES = {"dgi": "DGI", "graphcl": "GraphCL", "grace": "GRACE", "mvgrl": "MVGRL"}
#: Node methods that train on neighbour-sampled mini-batches (``batch_size``).
MINIBATCH_METHODS = ("dgi", "graphcl")
#: Epochs of a mini-batch run when none are given (full-batch runs stop early instead).
MINIBATCH_EPOCHS = 20


def default_hidden_channels(dataset: str) -> int:
    """DGI's width: 512, but 256 on PubMed (the official setting)."""
    return 256 if str(dataset).lower() == "pubmed" else 512


def dataset_label(dataset: str | os.PathLike) -> str:
    """A short name for results: the dataset name, or the stem of a graph file."""
    if is_graph_file(dataset):
        name = Path(dataset).name
        for suffix in (".gz", ".pt", ".pth", ".csv", ".tsv", ".txt"):
            name = name[: -len(suffix)] if name.lower().endswith(suffix) else name
        return name
    return str(dataset)


def prepare_node_data(dataset: str | os.PathLike, root: Optional[str] = None,
                      normalize_features: Optional[bool] = None, features: Optional[str] = None,
                      labels: Optional[str] = None, num_nodes: Optional[int] = None,
                      directed: bool = False) -> Data:
    """Load a node-level graph: a Planetoid or OGB name, or a graph file (with optional features/labels files).

    Features are row-normalized to sum 1 (DGI's and GraphCL's official code) for Planetoid graphs by default;
    ``normalize_features`` overrides that (default for OGB graphs and files: as given).
    """
    name = str(dataset)
    if (features is not None or labels is not None) and not is_graph_file(name):
        raise ValueError("--features/--labels apply to graph files only, not to named datasets")
    if name.lower() in PLANETOID_NAMES:
        data = load_planetoid(name, root=root)
        default_normalize = True
    elif is_ogb_node_name(name):
        data = load_ogb_node(name, root=root)
        default_normalize = False
    elif is_graph_file(name):
        data = load_graph_file(name, features=features, labels=labels, num_nodes=num_nodes, directed=directed)
        default_normalize = False
    else:
        raise FileNotFoundError(f"{name!r} is neither a known dataset (Cora, CiteSeer, PubMed, ogbn-arxiv, "
                                "ogbn-products) nor an existing graph file")
    if normalize_features if normalize_features is not None else default_normalize:
        data = NormalizeFeatures()(data)
    return data


def _grace_dataset(dataset: str) -> str:
    """The dataset whose official GRACE settings apply: its own for Cora/CiteSeer/PubMed, else Cora's."""
    return dataset if dataset.lower() in {name.lower() for name in GRACE_SETTINGS} else "Cora"


def build_node_method(method: str, in_channels: int, hidden_channels: int, num_layers: int = 1,
                      augmentation: str = "subgraph", aug_ratio: float = 0.2,
                      generator: Optional[torch.Generator] = None, dataset: str = "Cora") -> Method:
    """A :class:`~graphcl.methods.DGI` or :class:`~graphcl.methods.NodeGraphCL` with its paper's defaults,
    :class:`~graphcl.methods.GRACE` with the official settings of ``dataset`` (Cora's for other graphs) or
    :class:`~graphcl.methods.MVGRL` (:func:`~graphcl.methods.build_mvgrl` defaults)."""
    if method == "grace":
        return build_grace(in_channels, _grace_dataset(dataset), generator=generator)
    if method == "mvgrl":
        return build_mvgrl(in_channels, hidden_channels, generator=generator)
    if method == "dgi":
        return DGI(in_channels, hidden_channels, num_layers, generator=generator)
    if method == "graphcl":
        return NodeGraphCL(in_channels, hidden_channels, num_layers, augmentation=augmentation, p=aug_ratio,
                           generator=generator)
    raise ValueError(f"unknown method {method!r}; choose one of {list(NODE_METHODS)}")


def probe_record(result: LinearProbeResult) -> dict[str, Any]:
    """The linear-probe numbers of a result record, in percent."""
    return {"test_mean": 100 * result.test_mean, "test_std": 100 * result.test_std,
            "val_mean": 100 * result.val_mean, "val_std": 100 * result.val_std,
            "test_accuracies": [100 * a for a in result.test_accuracies], "runs": result.runs,
            "steps": result.steps}


def probe_masks(data: Data, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The graph's ``train``/``val``/``test`` masks, or a seeded 10/10/80 % split of its labelled nodes."""
    masks = [getattr(data, name, None) for name in ("train_mask", "val_mask", "test_mask")]
    if all(mask is not None for mask in masks):
        return masks[0], masks[1], masks[2]
    return labelled_split(data.y, generator=make_generator(seed))


def probe_node_embeddings(embeddings: torch.Tensor, data: Data, runs: int = 50,
                          seed: int = 0) -> LinearProbeResult:
    """DGI's linear probe (``runs`` logistic regressions) on frozen node embeddings."""
    train, valid, test = probe_masks(data, seed)
    return linear_probe(embeddings, data.y, train, valid, test, runs=runs, generator=make_generator(seed))


def node_minibatch_loader(data: Data, batch_size: int, num_neighbors: Sequence[int], seed: int = 0,
                          input_nodes: Optional[torch.Tensor] = None, backend: str = "auto"):
    """Neighbour-sampled seed batches over ``data`` for :func:`graphcl.train.pretrain`.

    Under ``torchrun`` (``WORLD_SIZE > 1``) each rank reads its own share of the seed nodes through a
    :class:`~torch.utils.data.DistributedSampler` (reshuffled every epoch by the loop's ``set_epoch``), so the
    loop keeps this loader instead of rebuilding it. The batches carry ``in_degree``, the whole-graph
    in-degree of their nodes, so that a GCN normalizes as it does on the whole graph at inference
    (:meth:`graphcl.nn.GCNEncoder.forward_sampled`).
    """
    rank, _, world_size = distributed_env()
    generator = make_generator(seed + rank)
    # every batch carries its nodes' whole-graph in-degrees: the GCN normalizes as on the whole graph
    data = copy.copy(data)
    data.in_degree = torch.bincount(data.edge_index[1][data.edge_index[0] != data.edge_index[1]],
                                    minlength=data.num_nodes)
    count = data.num_nodes if input_nodes is None else int(input_nodes.numel() if input_nodes.dtype != torch.bool
                                                             else input_nodes.sum())
    sampler = None
    if world_size > 1:
        sampler = DistributedSampler(range(count), num_replicas=world_size, rank=rank, shuffle=True, seed=seed)
    return neighbor_loader(data, num_neighbors, batch_size, input_nodes=input_nodes, shuffle=True,
                           generator=generator, backend=backend, sampler=sampler)


@dataclass
class NodePretrainOptions:
    """Settings of :func:`run_node_pretraining` (defaults: DGI's official transductive setting).

    Mini-batch training is on when ``batch_size`` is set; ``num_neighbors`` (one entry per GCN layer,
    default ``[10] * num_layers``) gives the neighbours sampled per node and hop.
    """

    method: str = "dgi"
    dataset: str = "Cora"
    seed: int = 0
    epochs: Optional[int] = None  # full batch: 10000 (early stopping); mini-batch: MINIBATCH_EPOCHS
    patience: Optional[int] = 20
    hidden_channels: Optional[int] = None
    num_layers: Optional[int] = None
    lr: float = 0.001
    augmentation: str = "subgraph"
    aug_ratio: float = 0.2
    probe_runs: int = 50
    device: str = "auto"
    progress: bool = True
    root: Optional[str] = None
    normalize_features: Optional[bool] = None
    features: Optional[str] = None
    labels: Optional[str] = None
    num_nodes: Optional[int] = None
    directed: bool = False
    batch_size: Optional[int] = None
    num_neighbors: Optional[list[int]] = None
    max_batches_per_epoch: Optional[int] = None
    chunk_size: int = DEFAULT_CHUNK_SIZE
    probe: bool = True
    sampler_backend: str = "auto"
    extra: dict[str, Any] = field(default_factory=dict)


def _resolve_layers(options: NodePretrainOptions) -> tuple[int, Optional[list[int]]]:
    num_neighbors = options.num_neighbors
    if num_neighbors is not None and options.batch_size is None:
        raise ValueError("--num-neighbors needs --batch-size (mini-batch training)")
    if num_neighbors is not None:
        num_neighbors = check_num_neighbors(num_neighbors)
        if options.num_layers is not None and options.num_layers != len(num_neighbors):
            raise ValueError(f"num_neighbors has {len(num_neighbors)} hops but num_layers is {options.num_layers}; "
                             "give one sample size per GCN layer")
        return len(num_neighbors), num_neighbors
    num_layers = options.num_layers if options.num_layers is not None else 1
    check_positive_int("num_layers", num_layers)
    if options.batch_size is not None:
        return num_layers, [10] * num_layers
    return num_layers, None


def run_node_pretraining(options: Optional[NodePretrainOptions] = None, **kwargs: Any) -> tuple[DGI, dict]:
    """Pretrain a node-level method without labels, then (when the graph has labels) run the linear probe.

    Takes a :class:`NodePretrainOptions` or its fields as keyword arguments. Seeds everything once with
    ``seed``. Returns ``(method, record)``; ``record`` holds the config, the accuracies (percent; ``None``
    without labels), epochs, seconds per epoch, peak memory and :func:`graphcl.utils.environment_info`.
    Under ``torchrun`` every rank trains; only rank 0 embeds and probes (the others return ``accuracy=None``).
    """
    if options is None:
        options = NodePretrainOptions(**kwargs)
    elif kwargs:
        options = replace(options, **kwargs)
    if options.method not in NODE_METHODS:
        raise ValueError(f"unknown method {options.method!r}; choose one of {list(NODE_METHODS)}")
    num_layers, num_neighbors = _resolve_layers(options)
    minibatch = options.batch_size is not None
    if minibatch and options.method not in MINIBATCH_METHODS:
        raise ValueError(f"mini-batch training (--batch-size) supports {list(MINIBATCH_METHODS)}; "
                         f"{options.method} trains full-batch")
    if minibatch:
        check_positive_int("batch_size", options.batch_size)
    epochs = options.epochs if options.epochs is not None else (MINIBATCH_EPOCHS if minibatch else 10000)
    torch_device = resolve_device(options.device)
    hidden_channels = options.hidden_channels or default_hidden_channels(options.dataset)
    rank, _, world_size = distributed_env()
    seed_everything(options.seed)
    data = prepare_node_data(options.dataset, root=options.root, normalize_features=options.normalize_features,
                             features=options.features, labels=options.labels, num_nodes=options.num_nodes,
                             directed=options.directed)
    model = build_node_method(options.method, data.num_features, hidden_channels, num_layers,
                              options.augmentation, options.aug_ratio, generator=make_generator(options.seed + rank),
                              dataset=str(options.dataset))
    model = model.to(torch_device)
    if torch_device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(torch_device)
    start = time.perf_counter()
    if minibatch:
        loader = node_minibatch_loader(data, options.batch_size, num_neighbors, seed=options.seed,
                                       backend=options.sampler_backend)
        result = pretrain(model, loader, epochs=epochs, lr=options.lr, device=torch_device,
                          progress=options.progress, seed=options.seed,
                          max_batches_per_epoch=options.max_batches_per_epoch)
        training = {"epochs_run": result.epochs, "best_epoch": None,
                    "best_loss": min(result.losses) if result.losses else math.nan,
                    "final_loss": result.losses[-1] if result.losses else math.nan, "stopped_early": False,
                    "seconds_per_epoch": result.seconds_per_epoch, "losses": result.losses,
                    "batches_per_epoch": len(loader), "world_size": result.world_size}
    else:
        data = data.to(torch_device)
        lr, weight_decay, patience, restore_best = options.lr, 0.0, options.patience, True
        if options.method == "grace":  # the official budget: fixed epochs, the final model
            settings = grace_settings(_grace_dataset(str(options.dataset)))
            epochs, lr, weight_decay = min(epochs, settings.epochs), settings.lr, settings.weight_decay
            patience, restore_best, hidden_channels = None, False, settings.hidden_channels
        trained = train_full_batch(model, data, epochs=epochs, lr=lr, weight_decay=weight_decay, patience=patience,
                                   progress=options.progress, restore_best=restore_best)
        training = {"epochs_run": trained.epochs, "best_epoch": trained.best_epoch, "best_loss": trained.best_loss,
                    "stopped_early": trained.stopped_early, "seconds_per_epoch": trained.seconds_per_epoch,
                    "world_size": 1}
    train_seconds = time.perf_counter() - start
    used_lr = options.lr if minibatch else lr
    used_weight_decay = 0.0 if minibatch else weight_decay
    config = {"method": options.method, "dataset": str(options.dataset), "hidden_channels": hidden_channels,
              "num_layers": num_layers, "lr": used_lr, "weight_decay": used_weight_decay, "epochs_cap": epochs,
              "patience": None if minibatch else patience,
              "normalize_features": options.normalize_features, "device": str(torch_device),
              "batch_size": options.batch_size, "num_neighbors": num_neighbors,
              "max_batches_per_epoch": options.max_batches_per_epoch, "features": options.features,
              "labels": options.labels, "directed": options.directed,
              "probe": {"runs": options.probe_runs, "steps": 100, "lr": 0.01, "weight_decay": 0.0},
              **options.extra}
    if options.method == "graphcl":
        config.update(augmentation=options.augmentation, aug_ratio=options.aug_ratio, resample_views=False)
    if options.method in ("grace", "mvgrl"):
        config["method_config"] = model.config
    record: dict[str, Any] = {"config": config, "seed": options.seed, "rank": rank, "accuracy": None,
                              **training, "train_seconds": train_seconds,
                              "num_nodes": int(data.num_nodes), "num_edges": int(data.num_edges)}
    probe_seconds = 0.0
    if rank == 0 and options.probe and getattr(data, "y", None) is not None:
        start = time.perf_counter()
        if minibatch:
            embeddings = layerwise_embeddings(model, data, chunk_size=options.chunk_size)
        else:
            embeddings = model.embed(data)
        probe = probe_node_embeddings(embeddings, data, runs=options.probe_runs, seed=options.seed)
        probe_seconds = time.perf_counter() - start
        record["accuracy"] = probe_record(probe)
    record.update(probe_seconds=probe_seconds, peak_memory_mb=peak_memory_mb(torch_device),
                  environment=environment_info())
    return model, record
