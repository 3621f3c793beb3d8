"""Graph embeddings of a whole dataset, in order: the one helper every protocol embeds with."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor, nn
from torch_geometric.loader import DataLoader

from graphcl.utils.device import resolve_device
from graphcl.utils.modes import evaluation_mode


def module_device(module: nn.Module) -> torch.device:
    """The device of a module's first parameter or buffer (the CPU for a module without any)."""
    for tensor in (*module.parameters(), *module.buffers()):
        return tensor.device
    return torch.device("cpu")


@torch.no_grad()
def embed_graphs(model: nn.Module, dataset_or_loader, batch_size: int = 512,
                 device: Optional[str | torch.device] = None) -> tuple[Tensor, Optional[Tensor]]:
    """Graph embeddings ``[num_graphs, d]`` and labels ``[num_graphs, ...]`` of every graph, in dataset order.

    ``model`` is a :class:`~graphcl.methods.Method` (its ``embed``) or an encoder returning
    :class:`~graphcl.nn.EncoderOutput` (its ``graph`` embeddings, in eval mode). Batches go to ``device``;
    ``None`` (the default) means the model's own device. Embeddings and labels come back on the CPU;
    labels are ``None`` when the graphs carry no ``y``.
    """
    device = module_device(model) if device is None else resolve_device(device)
    loader = dataset_or_loader
    if not isinstance(loader, torch.utils.data.DataLoader):
        loader = DataLoader(dataset_or_loader, batch_size=batch_size, shuffle=False)
    embed = getattr(model, "embed", None)
    embeddings, labels = [], []
    with evaluation_mode(model):
        for batch in loader:
            batch = batch.to(device)
            z = embed(batch) if callable(embed) else model(batch).graph
            embeddings.append(z.detach().cpu())
            y = getattr(batch, "y", None)
            labels.append(None if y is None else y.view(batch.num_graphs, -1).cpu())
    if not embeddings:
        raise ValueError("cannot embed an empty dataset")
    has_labels = all(y is not None for y in labels)
    return torch.cat(embeddings), torch.cat(labels) if has_labels else None
