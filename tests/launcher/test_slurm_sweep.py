"""`vmk pretrain -m hydra/launcher=slurm` on a real SLURM (scripts/local_slurm.sh up: one node, 2 CPUs):
the sweep's jobs run as SLURM jobs, the table marks the failed one, scheduler refusals are one line, and a
job's torch threads are the CPUs SLURM gave it. The preset's GPU, memory and CPU values are overridden
to fit the node; sensor data and 2 steps keep each job a few seconds."""

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.usefixtures("requires_slurm")

TINY = ["modality=sensor", "model.width=4", "views.width=4", "views.num_res_blocks=1", "trainer.max_steps=2",
        "probe.epochs=1", "probe.also=[]", "probe.baseline=false", "trainer.image_every_n_steps=0"]
FITS = ["hydra/launcher=slurm", "hydra.launcher.gpus_per_node=0", "hydra.launcher.mem_gb=1",
        "hydra.launcher.cpus_per_task=1", "hydra.launcher.timeout_min=5"]
NOISE = ("Bypassing sacct", "accounting storage is disabled", "Traceback")


def vmk_process(*args: str, timeout: int = 240) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "VMK_VERBOSE", "HYDRA_FULL_ERROR")}
    return subprocess.run([sys.executable, "-m", "viewmaker_cli", *args], capture_output=True, text=True, env=env,
                          timeout=timeout)


def test_a_sweep_runs_as_slurm_jobs_writes_its_table_and_marks_the_failed_job(tmp_path):
    # The jobs cannot reach this machine's failed-jobs file, as on a cluster where they run on other nodes: the
    # failure is counted from the job's results.json on the shared sweep dir.
    unreachable = "hydra.launcher.setup=[unset VMK_FAILED_JOBS_FILE]"
    run = vmk_process("pretrain", "-m", *FITS, unreachable, *TINY, "data.batch_size=8,100000", f"hydra.sweep.dir={tmp_path}")
    output = run.stdout + run.stderr
    assert run.returncode == 1, output[-3000:]
    assert "vmk: 1 job(s) of the sweep failed" in run.stderr and "fewer than one batch" in run.stderr
    assert not [line for line in output.splitlines() if any(n in line for n in NOISE)]

    results = {p.parent.name.split("_")[0]: json.loads(p.read_text()) for p in tmp_path.glob("*/results.json")}
    assert sorted(results) == ["0", "1"]
    ok, failed = results["0"], results["1"]
    assert ok["status"] == "ok" and failed["status"] == "failed" and "fewer than one batch" in failed["error"]
    jobs = [r["slurm"] for r in (ok, failed)]
    assert all(job["job_id"].isdigit() and job["node"] == "localhost" for job in jobs)
    assert {job["array_task_id"] for job in jobs} == {0, 1} and len({job["job_id"] for job in jobs}) == 2
    assert jobs[0]["array_job_id"] == jobs[1]["array_job_id"]  # one sbatch array for the sweep
    assert ok["device"]["threads"] == 1  # cpus_per_task=1 on a 2-CPU node: torch would take both

    table = (tmp_path / "results.md").read_text()
    assert "| data.batch_size=8 | ok |" in table and "| data.batch_size=100000 | FAILED:" in table


@pytest.mark.parametrize("setting, cause", [
    ("hydra.launcher.mem_gb=100000", "Memory specification can not be satisfied"),
    ("hydra.launcher.partition=no_such_partition", "invalid partition specified: no_such_partition"),
])
def test_a_request_slurm_refuses_is_one_line_naming_the_cause_exit_2(vmk, tmp_path, setting, cause, hydra_restore_singletons):
    code, out, err = vmk("pretrain", "-m", *FITS, setting, *TINY, "budget=0.02,0.05", f"hydra.sweep.dir={tmp_path}")
    assert code == 2, err[-3000:]
    assert err.splitlines() == [err.strip()] and cause in err, err[-3000:]  # not sbatch's own lines, no traceback
    assert err.startswith("vmk: error: SLURM refused the sweep's jobs:") and "Traceback" not in out


def test_a_job_under_srun_c_1_uses_one_thread():
    code = ("import torch; from viewmaker_cli.core.threads import use_job_cpus; use_job_cpus(); "
            "print(torch.get_num_threads())")
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    run = subprocess.run(["srun", "-c", "1", "--mem=500M", "-t", "2", sys.executable, "-c", code], capture_output=True,
                         text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["1"]  # not the node's 2
