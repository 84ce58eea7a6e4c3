"""Where each concurrently running job goes: a list of slots, each one GPU id or the CPU (None)."""

from __future__ import annotations

import os
from typing import Optional, Sequence

from viewmaker_cli.core.threads import job_cpus


def visible_gpus() -> list[str]:
    """The GPU ids this process may hand out, in CUDA_VISIBLE_DEVICES' own terms."""
    listed = os.environ.get("CUDA_VISIBLE_DEVICES")
    if listed is not None:  # already restricted (e.g. by SLURM or the user): hand out exactly those ids
        ids = []
        for entry in (d.strip() for d in listed.split(",")):
            if not entry or entry.startswith("-"):  # CUDA ignores everything from an invalid entry on
                break
            ids.append(entry)
        return ids
    try:
        import torch  # device_count() does not initialise CUDA in this process; only the jobs use GPUs
    except ImportError:
        return []
    return [str(i) for i in range(torch.cuda.device_count())]


def plan_slots(devices: Optional[Sequence[object]], n_jobs: Optional[int]) -> tuple[list[Optional[str]], bool]:
    """(one entry per job that may run at once: a GPU id, or None for a CPU job; whether to hide GPUs)."""
    if n_jobs is not None and n_jobs < 1:
        raise ValueError(f"hydra.launcher.n_jobs must be 1 or more (got {n_jobs})")
    if devices is None:
        gpus, hide = visible_gpus(), False
    else:
        gpus, hide = [str(d).strip() for d in devices], len(devices) == 0
        bad = [d for d in gpus if not d or "," in d or " " in d]
        if bad:
            raise ValueError(f"hydra.launcher.devices: {bad[0]!r} is not one GPU id (write devices=[0,1,2,3])")
    if not gpus:
        return [None] * (n_jobs or 1), hide
    return [gpus[i % len(gpus)] for i in range(n_jobs or len(gpus))], False


def threads_per_job(slots: int) -> int:
    """CPU threads for each job so that the jobs together use this process's CPUs once (torch takes them all)."""
    return max(1, job_cpus() // slots)
