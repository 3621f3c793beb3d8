"""What every result file records about the run: versions, git commit, machine, timing and memory."""
from __future__ import annotations

import os
import platform
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import torch

from graphcl import __version__


def git_commit(path: str | os.PathLike | None = None) -> str | None:
    """The commit of the checkout holding ``path`` (``None`` outside a git checkout)."""
    cwd = Path(path) if path is not None else Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10, check=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd, capture_output=True,
            text=True, timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() + ("-dirty" if dirty else "")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info() -> dict[str, Any]:
    """CPU/GPU description and thread counts."""
    info: dict[str, Any] = {
        "hostname": platform.node(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }
    try:
        info["load_average"] = os.getloadavg()
    except OSError:
        pass
    return info


def environment_info() -> dict[str, Any]:
    """Library versions, git commit and machine: saved next to every result."""
    import torch_geometric

    versions = {"python": sys.version.split()[0], "graphcl": __version__, "torch": torch.__version__,
                "torch_geometric": torch_geometric.__version__}
    for name in ("rdkit", "ogb", "sklearn", "numpy"):
        try:
            module = __import__(name)
            versions[name] = getattr(module, "__version__", "unknown")
        except ImportError:
            pass
    return {"versions": versions, "git_commit": git_commit(), "machine": machine_info()}


def peak_memory_mb(device: torch.device | str | None = None) -> float:
    """Peak memory of this process in MiB: CUDA allocator peak on a GPU, max RSS on the CPU."""
    device = torch.device(device) if device is not None else torch.device("cpu")
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 if sys.platform != "darwin" else rss / 2**20
