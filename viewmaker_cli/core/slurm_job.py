"""Which SLURM job this process is (for results.json): job id, array task, node. None outside SLURM."""

from __future__ import annotations

import os
from typing import Mapping, Optional


def slurm_job(environ: Mapping[str, str] = os.environ) -> Optional[dict]:
    if "SLURM_JOB_ID" not in environ:
        return None
    array_task = environ.get("SLURM_ARRAY_TASK_ID")
    return {
        "job_id": environ["SLURM_JOB_ID"],  # an array task has its own job id; SLURM_ARRAY_JOB_ID is the array's
        "array_job_id": environ.get("SLURM_ARRAY_JOB_ID"),
        "array_task_id": int(array_task) if array_task and array_task.isdigit() else None,
        "node": environ.get("SLURMD_NODENAME"),
    }
