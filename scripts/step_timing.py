"""Timing one training step, shared by the *_step_forms.py diagnostics: warm-up, a timed run that also records
how long the Python loop took to enqueue the steps, and a profiler pass for the kernels per step."""
import os
import time
from pathlib import Path

import torch


def setup(cpu: bool, default_out: str) -> tuple[torch.device, Path, dict]:
    """The device, the output folder ($OUT, else `default_out`) and the versions and device, printed."""
    torch.backends.cudnn.benchmark = True
    out = Path(os.environ.get("OUT", default_out))
    out.mkdir(parents=True, exist_ok=True)
    info = {"torch": torch.__version__, "cudnn": torch.backends.cudnn.version(), "cuda": torch.version.cuda,
            "device": "cpu" if cpu else torch.cuda.get_device_name(), "cpu_count": os.cpu_count()}
    print(info, flush=True)
    return torch.device("cpu" if cpu else "cuda"), out, info


def time_step(step, device: torch.device, warm: int, steps: int, batch: int) -> dict:
    """images/s, step time and enqueue time (ms) of `step()` over `steps` calls after `warm` calls."""
    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    t0 = time.perf_counter()
    for _ in range(warm):
        step()
    sync()
    t1 = time.perf_counter()
    for _ in range(steps):
        step()
    t_enqueue = time.perf_counter() - t1
    sync()
    step_ms = 1000 * (time.perf_counter() - t1) / steps
    return {"img_s": batch / (step_ms / 1000), "step_ms": step_ms, "enqueue_ms": 1000 * t_enqueue / steps,
            "warmup_s": t1 - t0}


def profile_step(step, device: torch.device, table: Path, calls: int = 3) -> dict:
    """torch.profiler over `calls` steps: the operator table into `table`; on CUDA the GPU-busy time and the
    kernels per step."""
    from torch.profiler import ProfilerActivity, profile

    cuda = device.type == "cuda"
    with profile(activities=[ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])) as prof:
        for _ in range(calls):
            step()
        if cuda:
            torch.cuda.synchronize()
    averages = prof.key_averages()
    table.write_text(averages.table(sort_by="self_device_time_total" if cuda else "self_cpu_time_total", row_limit=30))
    if not cuda:
        return {}
    return {"gpu_busy_ms": sum(e.self_device_time_total for e in averages) / calls / 1000,
            "kernels_per_step": sum(e.count for e in averages
                                    if e.self_device_time_total > 0 and e.device_type.name == "CUDA") / calls}
