"""Dataset loaders and splits."""
from graphcl.data.mirror import DatasetNotFoundError, data_root, mirror_root
from graphcl.data.planetoid import load_planetoid

__all__ = ["DatasetNotFoundError", "data_root", "mirror_root", "load_planetoid"]
