"""`vmk pretrain` under srun on a real SLURM (scripts/local_slurm.sh up: one node, 2 CPUs): the tasks of one
run share one run dir and end with the numbers of Lightning's own 2-process launch; tasks that do not fit
trainer.devices x trainer.num_nodes stop at once in one line; a sweep's multi-process jobs run as SLURM jobs.
Sensor data, width 4 and 2 steps keep each run a few seconds."""

import json
import os
import re
import subprocess
import sys

import pytest
import torch

pytestmark = pytest.mark.usefixtures("requires_slurm")


TINY = ["modality=sensor", "model.width=4", "views.width=4", "views.num_res_blocks=1", "data.batch_size=8",
        "trainer.max_steps=2", "probe.epochs=1", "probe.also=[]", "probe.baseline=false",
        "trainer.image_every_n_steps=0", "trainer.accelerator=cpu"]
# One CPU per task, little memory, a short limit: the 2-CPU node runs a 2-task step.
SRUN = ["srun", "--nodes=1", "--cpus-per-task=1", "--mem=1G", "--time=5", "--job-name=vmk-srun-test"]
VMK = [sys.executable, "-m", "viewmaker_cli"]
TIMEOUT_S = 240


def env() -> dict:
    out = {k: v for k, v in os.environ.items() if k not in ("VMK_VERBOSE", "HYDRA_FULL_ERROR")}
    out["OMP_NUM_THREADS"] = "1"
    return out


def run_dirs(root) -> list:
    return sorted(p.name for p in (root / "outputs").iterdir())


def test_srun_tasks_write_one_run_dir_with_the_numbers_of_lightnings_own_launch(tmp_path):
    (tmp_path / "srun").mkdir()
    srun = subprocess.Popen([*SRUN, "--ntasks-per-node=2", *VMK, "pretrain", "trainer.devices=2", *TINY],
                            cwd=tmp_path / "srun", env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:  # meanwhile the same run off SLURM: Lightning starts the second process itself
        plain = subprocess.run([*VMK, "pretrain", "trainer.devices=2", *TINY, f"hydra.run.dir={tmp_path / 'plain'}"],
                               env={k: v for k, v in env().items() if not k.startswith("SLURM_")}, capture_output=True,
                               text=True, timeout=TIMEOUT_S)
        output, _ = srun.communicate(timeout=TIMEOUT_S)
    finally:
        if srun.poll() is None:
            srun.kill()
    assert plain.returncode == 0, plain.stderr[-3000:]
    assert srun.returncode == 0, output[-3000:]

    dirs = run_dirs(tmp_path / "srun")  # both tasks: SLURM's name of the step, not each task's clock
    assert len(dirs) == 1 and re.fullmatch(r"slurm-\d+\.0", dirs[0]), dirs
    run = tmp_path / "srun" / "outputs" / dirs[0]
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["last.ckpt"]
    assert len(list(tmp_path.rglob("results.json"))) == 2  # this run's and the plain run's
    ours, theirs = (json.loads((d / "results.json").read_text()) for d in (run, tmp_path / "plain"))
    assert "2 devices x 4" in (run / "pretrain.log").read_text()
    assert ours["train"]["steps"] == theirs["train"]["steps"] == 2
    for key in ("probe_top1", "probe_train_top1"):
        assert ours["metrics"][key] == theirs["metrics"][key]
    weights = [torch.load(d / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"] for d in (run, tmp_path / "plain")]
    assert weights[0].keys() == weights[1].keys()
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])


@pytest.mark.parametrize("layout, devices, message", [
    (["--ntasks=2"], 2, "srun started 2 tasks without --ntasks-per-node, which Lightning needs: use srun --nodes=1 --ntasks-per-node=2"),
    (["--ntasks-per-node=2"], 1, "srun started 2 task(s) (1 node(s) x 2) but trainer.num_nodes=1 x trainer.devices=1 = 1 process(es)"),
], ids=["ntasks-without-per-node", "tasks-not-devices"])
def test_srun_tasks_that_do_not_fit_the_run_stop_in_one_line_exit_2(tmp_path, layout, devices, message):
    run = subprocess.run([*SRUN, *layout, *VMK, "pretrain", f"trainer.devices={devices}", *TINY], cwd=tmp_path,
                         env=env(), capture_output=True, text=True, timeout=TIMEOUT_S)
    assert run.returncode == 2, run.stderr[-3000:]
    ours = [line for line in (run.stdout + run.stderr).splitlines() if not line.startswith("srun:")]
    assert len(ours) == 1 and ours[0].startswith("vmk: error: ") and message in ours[0], run.stderr[-3000:]
    dirs = run_dirs(tmp_path)
    assert len(dirs) == 1 and not (tmp_path / "outputs" / dirs[0] / "checkpoints").exists()


def test_a_sweep_of_two_process_jobs_runs_under_slurm(tmp_path):
    """Each job is 2 SLURM tasks (hydra.launcher.tasks_per_node=2), which are its 2 DDP processes."""
    fits = ["hydra/launcher=slurm", "hydra.launcher.gpus_per_node=0", "hydra.launcher.mem_gb=1",
            "hydra.launcher.cpus_per_task=1", "hydra.launcher.timeout_min=5", "hydra.launcher.tasks_per_node=2"]
    run = subprocess.run([*VMK, "pretrain", "-m", *fits, "trainer.devices=2", *TINY, "budget=0.05,0.1",
                          f"hydra.sweep.dir={tmp_path}"], env=env(), capture_output=True, text=True, timeout=2 * TIMEOUT_S)
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    jobs = sorted(p.parent for p in tmp_path.glob("*/results.json"))
    assert [job.name.split("_")[0] for job in jobs] == ["0", "1"]
    for job in jobs:
        assert json.loads((job / "results.json").read_text())["status"] == "ok"
        assert "global batch 8 = 2 devices x 4" in (job / "pretrain.log").read_text()
        assert sorted(p.name for p in (job / "checkpoints").iterdir()) == ["last.ckpt"]
    table = (tmp_path / "results.md").read_text()
    assert "| budget=0.05 | ok |" in table and "| budget=0.1 | ok |" in table
