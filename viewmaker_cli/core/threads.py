"""How many CPU threads a job's torch may use: the CPUs it was given, on every launcher.

Torch starts one thread per core of the machine. Jobs that share a machine (a local sweep, SLURM jobs on
one node) would then run cores × jobs threads and slow each other down several times over."""

from __future__ import annotations

import os
import sys
from typing import Mapping, Optional

from viewmaker_cli.core import slurm


def job_cpus(environ: Mapping[str, str] = os.environ, cpus_per_task: Optional[int] = None) -> int:
    """The fewest of what each source says this job may use:
    - the CPU affinity (taskset, cgroups, SLURM's task/affinity): the cores this process may run on;
    - SLURM_CPUS_PER_TASK inside a SLURM job (set by `-c`, which submitit passes from cpus_per_task);
    - OMP_NUM_THREADS, set by the user or by a launcher for its jobs (vmk's parallel launcher, joblib's loky);
    - `cpus_per_task` from the launcher's config (submitit_local records it but does not apply it)."""
    try:
        limits = [max(1, len(os.sched_getaffinity(0)))]
    except AttributeError:  # not Linux
        limits = [os.cpu_count() or 1]
    if slurm.in_job(environ):
        limits.append(_count(environ.get("SLURM_CPUS_PER_TASK")))
    limits.append(_count(environ.get("OMP_NUM_THREADS")))
    limits.append(cpus_per_task or 0)
    return min(n for n in limits if n > 0)  # the affinity is always at least 1


def _count(value: Optional[str]) -> int:
    try:
        return int(value) if value else 0
    except ValueError:  # e.g. OMP_NUM_THREADS="4,2" (nested levels): the first level
        head = value.split(",")[0].strip()
        return int(head) if head.isdigit() else 0


def use_job_cpus(cpus_per_task: Optional[int] = None) -> int:
    """Set this process's torch threads (and its children's, through OMP_NUM_THREADS) to `job_cpus()`."""
    n = job_cpus(os.environ, cpus_per_task)
    os.environ["OMP_NUM_THREADS"] = str(n)  # read by torch when it is first imported, here or in a child
    if "torch" in sys.modules:  # already imported: its thread pool is sized, so size it again
        sys.modules["torch"].set_num_threads(n)
    return n
