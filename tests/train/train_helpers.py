"""A small stand-in method and synthetic graphs for the trainer tests."""
from __future__ import annotations

import torch
from torch import nn
from torch_geometric.data import Data
from torch_geometric.nn import GINConv, global_mean_pool


def random_graphs(count: int = 24, seed: int = 0, in_channels: int = 4) -> list[Data]:
    generator = torch.Generator().manual_seed(seed)
    graphs = []
    for _ in range(count):
        n = int(torch.randint(4, 9, (1,), generator=generator))
        src = torch.arange(n - 1)
        edge_index = torch.stack([torch.cat([src, src + 1]), torch.cat([src + 1, src])])
        graphs.append(Data(x=torch.randn(n, in_channels, generator=generator), edge_index=edge_index))
    return graphs


class NoisyViews(nn.Module):
    """Two views by Gaussian feature noise (global RNG) plus one by an owned generator; InfoNCE-like loss."""

    def __init__(self, in_channels: int = 4, hidden: int = 8, seed: int = 0):
        super().__init__()
        self.conv = GINConv(nn.Sequential(nn.Linear(in_channels, hidden), nn.ReLU(), nn.Linear(hidden, hidden)))
        self.head = nn.Linear(hidden, hidden)
        self.unused_head = nn.Linear(hidden, hidden)  # exercises find_unused_parameters under DDP
        self.generator = torch.Generator().manual_seed(seed)
        self.register_buffer("epochs_seen", torch.zeros((), dtype=torch.long))

    def embed_views(self, batch):
        x1 = batch.x + 0.1 * torch.randn_like(batch.x)
        x2 = batch.x + 0.1 * torch.randn(batch.x.shape, generator=self.generator)
        z = [self.head(global_mean_pool(self.conv(x, batch.edge_index), batch.batch)) for x in (x1, x2)]
        return [nn.functional.normalize(v, dim=1) for v in z]

    def loss(self, batch):
        z1, z2 = self.embed_views(batch)
        logits = z1 @ z2.t() / 0.5
        return nn.functional.cross_entropy(logits, torch.arange(len(z1)))

    def on_epoch_end(self, loader):
        self.epochs_seen += 1
        return {"epochs_seen": int(self.epochs_seen)}
