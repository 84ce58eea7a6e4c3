"""Preemption on a real SLURM (scripts/local_slurm.sh up): one sbatch job is stopped twice while training,
first by the signal a job asks for before its end (`scancel --signal=USR1 --batch`, as `--signal=B:USR1@60`
sends it), then by `scontrol requeue` (SIGTERM); each time it saves a checkpoint at that step and is
requeued, and it resumes by itself. Its final weights equal an uninterrupted run's (deterministic, CPU)."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

pytestmark = pytest.mark.usefixtures("requires_slurm")

HERE = Path(__file__).parent
RUN = ["modality=sensor", "model.width=4", "views.width=4", "views.num_res_blocks=1", "data.batch_size=8",
       "trainer.max_steps=14", "probe.enabled=false", "trainer.image_every_n_steps=0", "trainer.log_every_n_steps=1",
       "deterministic=true"]  # 40 series: 5 batches an epoch, so both resumes are mid-epoch (at steps 4 and 9)


def squeue_state(job: str) -> str:
    """The job's state ("" once SLURM has forgotten it or it has ended)."""
    return subprocess.run(["squeue", "-h", "-j", job, "-o", "%T"], capture_output=True, text=True, check=False).stdout.strip()


def wait_for(what: str, ready, log: Path, timeout: float = 90):
    deadline = time.time() + timeout
    while not ready():
        if time.time() > deadline:
            pytest.fail(f"timed out waiting for {what}; job log:\n{log.read_text()[-3000:] if log.exists() else '(none)'}")
        time.sleep(0.1)


def start_requeued_job_now(job: str, log: Path) -> None:
    """SLURM holds a requeued job back about two minutes (its begin time); the test does not wait for that."""
    wait_for("the job to be pending again", lambda: squeue_state(job) == "PENDING", log)
    # The requeue revoked the job's credential; slurmd compares times in whole seconds, so a start within the
    # same second is killed as "Job credential revoked" (seen in slurmctld.log). A real requeue waits minutes.
    time.sleep(2)
    subprocess.run(["scontrol", "update", f"JobId={job}", "StartTime=now"], check=True, capture_output=True)


def test_a_preempted_job_checkpoints_is_requeued_and_ends_with_the_uninterrupted_weights(tmp_path):
    env = {**os.environ, "HYDRA_FULL_ERROR": "0", "OMP_NUM_THREADS": "1"}
    straight = subprocess.Popen([sys.executable, "-m", "viewmaker_cli", "pretrain", *RUN, f"hydra.run.dir={tmp_path / 'straight'}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    log = tmp_path / "slurm.log"
    script = tmp_path / "job.sh"
    script.write_text(
        "#!/bin/bash\n"
        f"#SBATCH --job-name=vmk-preempt-test --cpus-per-task=1 --mem=2G --output={log} --open-mode=append --chdir={tmp_path}\n"
        f"export OMP_NUM_THREADS=1 PAUSE_AT=3,8 PAUSE_FLAGS={tmp_path}\n"
        # exec: vmk is the batch shell, the process a `B:` signal goes to. No hydra.run.dir: the default under
        # SLURM (outputs/slurm-JOB) must be the same for every run of the requeued job.
        f"exec {sys.executable} {HERE / 'paused_vmk.py'} pretrain {' '.join(RUN)}\n"
    )
    job = subprocess.run(["sbatch", "--parsable", str(script)], capture_output=True, text=True, check=True, env=env).stdout.strip()
    run_dir = tmp_path / "outputs" / f"slurm-{job}"
    try:
        wait_for("step 3 of the first run", (tmp_path / "paused-0").exists, log)
        subprocess.run(["scancel", "--signal=USR1", "--batch", job], check=True)
        start_requeued_job_now(job, log)
        assert not (run_dir / "results.json").exists()

        wait_for("step 8 of the second run", (tmp_path / "paused-1").exists, log)
        subprocess.run(["scontrol", "requeue", job], check=True)
        start_requeued_job_now(job, log)

        wait_for("the third run to finish", lambda: (run_dir / "results.json").exists() and not squeue_state(job), log)
    finally:
        subprocess.run(["scancel", job], capture_output=True, check=False)
    assert straight.wait(timeout=120) == 0, straight.stderr.read()[-2000:]

    text = log.read_text()
    signals = "\n".join(line for line in text.splitlines() if "SIG" in line or "requeue" in line) or text[-3000:]
    assert f"SIGUSR1 at step 4: saved {run_dir}/checkpoints/last.ckpt; requeued SLURM job {job}" in text, signals
    assert "SIGTERM at step 9: saved" in text, signals
    results = json.loads((run_dir / "results.json").read_text())
    assert results["train"]["steps"] == 14
    assert results["train"]["resumed_from"] == {"checkpoint": str(run_dir / "checkpoints" / "last.ckpt"), "step": 9,
                                                "slurm_restarts": 2}
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == ["last.ckpt"]
    assert sorted(p.name for p in (tmp_path / "outputs").iterdir()) == [run_dir.name]  # one dir for the three runs
    a, b = (torch.load(d / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True) for d in (tmp_path / "straight", run_dir))
    assert a["global_step"] == b["global_step"] == 14
    for key, value in a["state_dict"].items():
        assert torch.equal(value, b["state_dict"][key]), key
