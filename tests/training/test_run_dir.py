"""A run dir belongs to one run: a rerun never writes over a finished run, and a second process never
joins a live one (training/run_dir.py)."""

from __future__ import annotations

import fcntl
import json

import pytest

from viewmaker_cli.training.run_dir import LOCK_FILE, first_process

TINY = ["modality=sensor", "model.width=4", "views.width=4", "views.num_res_blocks=1", "data.batch_size=8",
        "trainer.max_steps=2", "probe.epochs=1", "probe.also=[]", "probe.baseline=false", "trainer.image_every_n_steps=0"]


def test_a_fresh_run_in_a_finished_runs_dir_stops_and_leaves_it_as_it_was(vmk, tmp_path):
    run_dir = tmp_path / "run"
    assert vmk("pretrain", *TINY, f"hydra.run.dir={run_dir}")[0] == 0
    # Every file of the finished run, Hydra's .hydra/ and the log included: the refusal comes before Hydra writes.
    before = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file() and p.name != ".vmk.lock"}
    assert run_dir / ".hydra" / "config.yaml" in before and run_dir / "pretrain.log" in before
    code, out, err = vmk("pretrain", *TINY, "seed=1", f"hydra.run.dir={run_dir}")
    assert code == 2 and err.strip().count("\n") == 0
    assert "already holds a run" in err and "resume=true" in err and "hydra.run.dir" in err
    assert {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file() and p.name != ".vmk.lock"} == before
    code, _, err = vmk("pretrain", *TINY, "trainer.max_steps=3", "resume=true", f"hydra.run.dir={run_dir}")
    assert code == 0, err[-2000:]  # continuing it is what the dir is for
    assert json.loads((run_dir / "results.json").read_text())["train"]["steps"] == 3


def test_a_second_process_on_a_live_run_dir_stops_naming_the_owner(vmk, tmp_path):
    run_dir = tmp_path / "live"
    run_dir.mkdir()
    with open(run_dir / LOCK_FILE, "a+") as lock:  # a run that is training there now
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        lock.write(json.dumps({"pid": 4242, "host": "gpu-node-7"}))
        lock.flush()
        code, _, err = vmk("pretrain", *TINY, f"hydra.run.dir={run_dir}")
    assert code == 2 and "in use by a running vmk (process 4242 on gpu-node-7)" in err
    assert not (run_dir / "checkpoints").exists()


def test_a_lock_left_by_a_dead_process_is_taken_over(vmk, tmp_path):
    run_dir = tmp_path / "stale"
    run_dir.mkdir()
    (run_dir / LOCK_FILE).write_text(json.dumps({"pid": 999999, "host": "gone"}))  # nobody holds it
    code, _, err = vmk("pretrain", *TINY, f"hydra.run.dir={run_dir}")
    assert code == 0, err[-2000:]
    assert json.loads((run_dir / LOCK_FILE).read_text())["pid"] != 999999


@pytest.mark.parametrize("variable, value, first", [(None, None, True), ("RANK", "0", True), ("RANK", "1", False),
                                                    ("SLURM_PROCID", "1", False), ("LOCAL_RANK", "1", False)])
def test_only_the_first_process_of_a_run_claims_its_dir(monkeypatch, variable, value, first):
    for name in ("RANK", "SLURM_PROCID", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    if variable:
        monkeypatch.setenv(variable, value)
    assert first_process() is first


def test_a_second_real_process_is_refused_while_the_first_trains_and_takes_over_once_it_is_killed(vmk, tmp_path):
    """Two `vmk pretrain` on one dir for real: the second stops naming the first; once the first is killed
    (SIGKILL: the kernel drops its lock), the second continues its run from the last periodic checkpoint."""
    import os
    import signal
    import subprocess
    import sys

    from tests.training.test_signals import wait_for
    from viewmaker_cli.training.checkpoint import load_checkpoint

    run_dir = tmp_path / "run"
    first = subprocess.Popen([sys.executable, "-m", "viewmaker_cli", "pretrain", *TINY, "trainer.max_steps=100000",
                              "trainer.checkpoint_every_n_steps=2", f"hydra.run.dir={run_dir}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "HYDRA_FULL_ERROR": "0"})
    try:
        wait_for(run_dir / "checkpoints" / "step0000002.ckpt", first)
        code, _, err = vmk("pretrain", *TINY, "resume=true", f"hydra.run.dir={run_dir}")
        assert code == 2 and err.count("\n") == 1 and "in use by a running vmk" in err and str(first.pid) in err, err
        first.send_signal(signal.SIGKILL)
        assert first.wait(timeout=60) == -signal.SIGKILL
    finally:
        first.kill()
    step = load_checkpoint(run_dir / "checkpoints" / "last.ckpt")["global_step"]
    code, _, err = vmk("pretrain", *TINY, f"trainer.max_steps={step + 1}", "resume=true", f"hydra.run.dir={run_dir}")
    assert code == 0, err[-2000:]
    results = json.loads((run_dir / "results.json").read_text())
    assert results["train"]["resumed_from"]["step"] == step and results["train"]["steps"] == step + 1


def test_a_sweep_run_again_into_its_dir_keeps_the_finished_jobs(vmk, tmp_path):
    sweep = tmp_path / "sweep"
    assert vmk("pretrain", "-m", *TINY, "seed=0", f"hydra.sweep.dir={sweep}")[0] == 0
    (job,) = sweep.glob("*/results.json")
    before = job.read_bytes()
    code, _, err = vmk("pretrain", "-m", *TINY, "seed=0", f"hydra.sweep.dir={sweep}")
    assert code == 1 and "already holds a run" in err  # the job is refused, and the sweep says so
    assert job.read_bytes() == before  # its record is not replaced by the refusal
