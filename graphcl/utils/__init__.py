"""Small shared helpers: device choice, atomic file writes, seeding and progress bars."""
from graphcl.utils.device import resolve_device
from graphcl.utils.io import atomic_save, atomic_save_numpy, atomic_write_json, atomic_write_text, load_checkpoint
from graphcl.utils.modes import evaluation_mode
from graphcl.utils.progress import progress
from graphcl.utils.results import append_jsonl, format_mean_std, markdown_table, mean_std, read_jsonl
from graphcl.utils.run_info import environment_info, peak_memory_mb
from graphcl.utils.seed import make_generator, seed_everything

__all__ = [
    "resolve_device",
    "atomic_save",
    "atomic_save_numpy",
    "atomic_write_json",
    "atomic_write_text",
    "load_checkpoint",
    "progress",
    "evaluation_mode",
    "append_jsonl",
    "format_mean_std",
    "markdown_table",
    "mean_std",
    "read_jsonl",
    "environment_info",
    "peak_memory_mb",
    "make_generator",
    "seed_everything",
]
