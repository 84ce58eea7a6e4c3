"""core/threads.py: a job's torch threads are the CPUs it was given, in the environment each launcher
creates for its job (the values below are what each one sets; tests/launcher/ runs real jobs)."""

import os
import subprocess
import sys

import pytest

from viewmaker_cli.core.threads import job_cpus


@pytest.fixture
def cores(monkeypatch):
    """Pretend this process may run on 8 cores."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)))
    return 8


def test_plain_process_uses_the_cores_it_may_run_on(cores):
    assert job_cpus({}) == cores


def test_affinity_limits_the_threads(monkeypatch):  # taskset, cgroups' cpusets, SLURM's task/affinity
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3, 5})
    assert job_cpus({}) == 2


def test_slurm_job_uses_its_cpus_per_task(cores):
    # sbatch/srun -c 1 (submitit_slurm passes cpus_per_task as -c): SLURM sets this, the affinity may stay whole
    assert job_cpus({"SLURM_JOB_ID": "12", "SLURM_CPUS_PER_TASK": "1"}) == 1
    assert job_cpus({"SLURM_JOB_ID": "12"}) == cores  # no -c: the affinity decides
    assert job_cpus({"SLURM_CPUS_PER_TASK": "1"}) == cores  # a leftover variable outside a SLURM job: ignored


def test_launcher_that_sets_omp_num_threads(cores):
    # vmk's parallel launcher (cores // jobs at once) and joblib's loky workers (cpu_count // n_jobs)
    assert job_cpus({"OMP_NUM_THREADS": "4"}) == 4
    assert job_cpus({"OMP_NUM_THREADS": "16"}) == cores  # never more than the cores it may run on
    assert job_cpus({"OMP_NUM_THREADS": "2,1"}) == 2  # nested OpenMP levels: the outer one
    assert job_cpus({"OMP_NUM_THREADS": "lots"}) == cores


def test_submitit_local_job_uses_the_cpus_per_task_of_its_config(cores):
    # submitit_local sets no variable for it: the job reads hydra.launcher.cpus_per_task (cli.py)
    assert job_cpus({"SUBMITIT_EXECUTOR": "local"}, cpus_per_task=3) == 3
    assert job_cpus({"SUBMITIT_EXECUTOR": "local"}, cpus_per_task=None) == cores


def test_use_job_cpus_sets_torch_and_the_children(tmp_path):
    code = ("import os, torch; from viewmaker_cli.core.threads import use_job_cpus; n = use_job_cpus(1); "
            "print(n, torch.get_num_threads(), os.environ['OMP_NUM_THREADS'])")
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.split() == ["1", "1", "1"]
