"""`bench.profile=N`: N more steps of a mode under torch.profiler, after its timed steps (so the profiler's
overhead never reaches the images/s), written as the profiler's own table of operators, the most expensive
first: on CUDA by time on the device, elsewhere by CPU time."""

from __future__ import annotations

from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

from viewmaker_cli.core.atomic import atomic_write_text

ROWS = 40


def start(device: torch.device) -> profile:
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    profiler = profile(activities=activities, record_shapes=True)
    profiler.start()
    return profiler


def stop_and_write(profiler: profile, device: torch.device, path: Path, steps: int) -> str:
    """Stop `profiler` after the device finished its work; write its table to `path`; return the path."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    profiler.stop()
    sort = "self_device_time_total" if device.type == "cuda" else "self_cpu_time_total"
    table = profiler.key_averages().table(sort_by=sort, row_limit=ROWS)
    atomic_write_text(path, f"# {steps} steps after the timed ones, sorted by {sort}\n{table}\n")
    return str(path)
