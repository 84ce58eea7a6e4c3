"""Hydra's local launchers. submitit_local records cpus_per_task in the job's config but sets nothing for it: the job
itself sizes torch's threads from it (cli.py -> core/threads.py), or every job takes every core."""

import json
import os
import subprocess
import sys

import pytest

from tests.launcher.test_slurm_sweep import TINY


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one core: one thread either way")
def test_a_submitit_local_job_uses_cpus_per_task_threads(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "VMK_VERBOSE")}
    run = subprocess.run([sys.executable, "-m", "viewmaker_cli", "pretrain", "-m", "hydra/launcher=submitit_local",
                          "hydra.launcher.cpus_per_task=1", "hydra.launcher.timeout_min=5", *TINY, "seed=0",
                          f"hydra.sweep.dir={tmp_path}"], capture_output=True, text=True, env=env, timeout=240)
    assert run.returncode == 0, run.stderr[-3000:]
    (results,) = tmp_path.glob("*/results.json")
    record = json.loads(results.read_text())
    assert record["status"] == "ok" and record["device"]["threads"] == 1
    assert "slurm" not in record  # not a SLURM job


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one core: one thread either way")
def test_hydra_joblib_jobs_share_the_cores(tmp_path):
    """Hydra's joblib launcher runs n_jobs jobs at once in reused worker processes; loky limits their
    OMP_NUM_THREADS to cores ÷ n_jobs, which each job's torch then takes (core/threads.py)."""
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "VMK_VERBOSE")}
    run = subprocess.run([sys.executable, "-m", "viewmaker_cli", "pretrain", "-m", "hydra/launcher=joblib",
                          "hydra.launcher.n_jobs=2", *TINY, "seed=0,1", f"hydra.sweep.dir={tmp_path}"],
                         capture_output=True, text=True, env=env, timeout=240)
    assert run.returncode == 0, run.stderr[-3000:]
    records = [json.loads(p.read_text()) for p in tmp_path.glob("*/results.json")]
    cores = len(os.sched_getaffinity(0))
    assert len(records) == 2 and all(r["status"] == "ok" and r["device"]["threads"] == max(1, cores // 2) for r in records)
