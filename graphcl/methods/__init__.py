"""Contrastive pretraining methods: each an ``nn.Module`` with ``loss(data)`` and ``embed(data)``."""
from graphcl.methods.dgi import DGI, TrainResult, train_full_batch
from graphcl.methods.graphcl_node import NODE_AUGMENTATIONS, NodeGraphCL, make_node_augmentation

__all__ = ["DGI", "NodeGraphCL", "NODE_AUGMENTATIONS", "make_node_augmentation", "TrainResult",
           "train_full_batch"]
