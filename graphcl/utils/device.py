"""Device selection: ``"auto"`` picks CUDA when available and the CPU otherwise."""
from __future__ import annotations

import torch


def resolve_device(device: str | torch.device | None = "auto") -> torch.device:
    """Return a :class:`torch.device`.

    Args:
        device (str or torch.device, optional): ``"auto"`` (or ``None``) selects
            ``cuda`` when a GPU is visible, otherwise ``cpu``. Any other value is
            passed to :class:`torch.device`. (default: ``"auto"``)
    """
    if device is None or (isinstance(device, str) and device == "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            f"Device {device} was requested but CUDA is not available; use device='auto' or 'cpu'."
        )
    return device
