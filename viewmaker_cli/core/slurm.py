"""What SLURM's environment tells a vmk process: which job it is (for results.json), the job step it runs in
(the run dir every task of the step shares) and how many tasks srun started, read the way Lightning's
SLURMEnvironment reads them."""

from __future__ import annotations

import os
from typing import Mapping

# Lightning treats jobs with these names as a shell inside an allocation (`salloc`, `srun --pty bash`), not as
# a run it was started for; so does vmk: runs typed there keep their own timestamped dirs.
SHELL_JOB_NAMES = ("bash", "interactive")


def in_job(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether this process runs inside a SLURM job (an sbatch script, srun, salloc)."""
    return "SLURM_JOB_ID" in environ


def restart_count(environ: Mapping[str, str] = os.environ) -> int:
    """How many times SLURM has started this job again (0: its first run, or not under SLURM)."""
    return int(environ.get("SLURM_RESTART_COUNT") or 0) if in_job(environ) else 0


def step_name() -> str | None:
    """SLURM's own name of this job step, as sacct writes it: `slurm-JOB.STEP` under srun, `slurm-JOB` in the
    batch script (JOB is `ARRAYJOB_TASK` in a job array). Every task of the step, on every node, computes the
    same name, and a requeued job gets it again (job id and step numbers stay). None outside a SLURM job."""
    env = os.environ
    if not in_job(env) or env.get("SLURM_JOB_NAME") in SHELL_JOB_NAMES:
        return None
    job = f"{env['SLURM_ARRAY_JOB_ID']}_{env['SLURM_ARRAY_TASK_ID']}" if "SLURM_ARRAY_TASK_ID" in env else env["SLURM_JOB_ID"]
    step = env.get("SLURM_STEP_ID")
    return f"slurm-{job}" if step is None else f"slurm-{job}.{step}"


def step_or(default: str) -> str:
    """The `slurm_step_or` resolver of hydra.run.dir (conf/vmk_hydra.yaml): the step's name inside a SLURM job,
    so that the tasks srun started (which start a second apart) write one run dir, else `default`."""
    return step_name() or default


def srun_tasks() -> int | None:
    """How many processes srun started for this run (SLURM_NTASKS) when Lightning will take them as its
    processes (its SLURMEnvironment: SLURM_NTASKS set, not a shell's job); None when Lightning starts its own."""
    if "SLURM_NTASKS" not in os.environ or os.environ.get("SLURM_JOB_NAME") in SHELL_JOB_NAMES:
        return None
    return int(os.environ["SLURM_NTASKS"])


def job(environ: Mapping[str, str] = os.environ) -> dict | None:
    """Job id, array job and task, node of this process's SLURM job (results.json); None outside SLURM."""
    if not in_job(environ):
        return None
    array_task = environ.get("SLURM_ARRAY_TASK_ID")
    return {
        "job_id": environ["SLURM_JOB_ID"],  # an array task has its own job id; SLURM_ARRAY_JOB_ID is the array's
        "array_job_id": environ.get("SLURM_ARRAY_JOB_ID"),
        "array_task_id": int(array_task) if array_task and array_task.isdigit() else None,
        "node": environ.get("SLURMD_NODENAME"),
    }
