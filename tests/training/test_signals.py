"""Ctrl-C (SIGINT) and SIGTERM outside SLURM (core/interrupt.py, training/preemption.py, interruption.py): the
run stops at the end of the current step with that step's checkpoint, says in one line how to resume, and exits
130 / 143; before or after training it stops as quickly, with the same codes and nothing half-written. A sweep
stops launching, marks the stopped job and writes the table of what finished.

One real process (its exit status, a real Ctrl-C, no traceback); the rest send real signals to this process at
chosen points, through the in-process `vmk` fixture. That the checkpoint taken at the stop resumes to the same
weights as an uninterrupted run is test_preemption.py's (the same save, under SLURM)."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time

import pytest
from hydra.core.hydra_config import HydraConfig
from lightning.pytorch.callbacks import Callback

from tests.training.test_preemption import SignalAt, fit
from viewmaker_cli.commands import pretrain
from viewmaker_cli.core.interrupt import Interrupted, interruptible
from viewmaker_cli.training.checkpoint import AtomicCheckpointIO, load_checkpoint
from viewmaker_cli.training.preemption import Preemption

TINY = ["modality=sensor", "model.width=4", "views.width=4", "views.num_res_blocks=1", "data.batch_size=8",
        "probe.epochs=1", "probe.also=[]", "probe.baseline=false", "trainer.image_every_n_steps=0"]
LINE = re.compile(r"^vmk: interrupted by (SIGINT|SIGTERM) at step (\d+) of (\d+); checkpoint saved; resume: (vmk pretrain .*)$")


def wait_for(path, process=None, timeout=180):
    """Poll for `path` (a sign the run reached a point), failing early if `process` ended."""
    deadline = time.time() + timeout
    while not path.exists():
        assert process is None or process.poll() is None, f"vmk ended ({process.returncode}) before {path} appeared"
        assert time.time() < deadline, f"{path} did not appear in {timeout} s"
        time.sleep(0.05)


def resume_args(line: str, **replace) -> list[str]:
    """The printed resume command's overrides, with `replace`d values (key=value)."""
    args = shlex.split(LINE.match(line).group(4))[2:] if LINE.match(line) else shlex.split(line.split(": ", 2)[-1])[2:]
    out = [a for a in args if a.split("=")[0] not in replace]
    return out + [f"{k}={v}" for k, v in replace.items()]


def test_ctrl_c_in_a_real_process_saves_the_step_exits_130_and_the_printed_command_resumes(vmk, tmp_path):
    run_dir = tmp_path / "run"
    env = {**os.environ, "HYDRA_FULL_ERROR": "0"}
    env.pop("VMK_VERBOSE", None)
    with open(tmp_path / "stderr", "w+") as stderr:
        run = subprocess.Popen([sys.executable, "-m", "viewmaker_cli", "pretrain", *TINY, "trainer.max_steps=100000",
                                "trainer.checkpoint_every_n_steps=2", f"hydra.run.dir={run_dir}"],
                               stdout=subprocess.DEVNULL, stderr=stderr, env=env)
        try:
            wait_for(run_dir / "checkpoints" / "step0000002.ckpt", run)  # training is under way
            run.send_signal(signal.SIGINT)  # what Ctrl-C sends
            code = run.wait(timeout=120)
        finally:
            run.kill()
        stderr.seek(0)
        lines = stderr.read().splitlines()
    assert code == 130, lines[-20:]
    assert len(lines) == 1, lines  # no traceback, no Lightning noise
    found = LINE.match(lines[0])
    assert found and found.group(1) == "SIGINT" and found.group(3) == "100000", lines[0]
    step = int(found.group(2))
    assert step >= 2 and load_checkpoint(run_dir / "checkpoints" / "last.ckpt")["global_step"] == step
    assert not (run_dir / "results.json").exists()

    # The printed command continues the run (here to 2 steps past the stop, not to 100000).
    code, _, err = vmk("pretrain", *resume_args(lines[0], **{"trainer.max_steps": step + 2}))
    assert code == 0, err[-2000:]
    results = json.loads((run_dir / "results.json").read_text())
    assert results["train"]["steps"] == step + 2 and results["train"]["resumed_from"]["step"] == step


class SignalInJob(Callback):
    """Sends this process `signum` as step `step` of sweep job `job` (any job when None) starts."""

    def __init__(self, signum, step, job=None):
        self.signum, self.step, self.job = signum, step, job

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if trainer.global_step == self.step and (self.job is None or HydraConfig.get().job.num == self.job):
            os.kill(os.getpid(), self.signum)


@pytest.fixture
def signal_in_training(monkeypatch):
    """signal_in_training(signum, step, job=None): the next `vmk pretrain` here gets `signum` mid-step."""
    def arm(*args, **kwargs):
        build = pretrain.build_trainer

        def build_trainer(*a, **k):
            trainer = build(*a, **k)
            trainer.callbacks.append(SignalInJob(*args, **kwargs))
            return trainer

        monkeypatch.setattr(pretrain, "build_trainer", build_trainer)
    return arm


def test_sigterm_mid_step_stops_after_that_step_with_its_checkpoint(vmk, tmp_path, signal_in_training):
    signal_in_training(signal.SIGTERM, 3)
    before = signal.getsignal(signal.SIGTERM)
    code, _, err = vmk("pretrain", *TINY, "trainer.max_steps=50", f"hydra.run.dir={tmp_path / 'run'}")
    assert code == 143, err[-2000:]
    found = LINE.match(err.strip())
    assert found and found.groups()[:3] == ("SIGTERM", "4", "50"), err  # step 3 ran to its end: 4 steps done
    assert load_checkpoint(tmp_path / "run" / "checkpoints" / "last.ckpt")["global_step"] == 4
    assert not (tmp_path / "run" / "results.json").exists()
    assert signal.getsignal(signal.SIGTERM) == before  # the command's handlers are gone


def test_a_signal_before_training_stops_at_once_and_the_run_starts_again_cleanly(vmk, tmp_path, monkeypatch):
    def load_splits(cfg):  # as if Ctrl-C came while the data loads
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)
        raise AssertionError("the signal did not stop the run")

    monkeypatch.setattr(pretrain, "load_splits", load_splits)
    run_dir = tmp_path / "run"
    code, _, err = vmk("pretrain", *TINY, "probe.enabled=false", "trainer.max_steps=2", f"hydra.run.dir={run_dir}")
    assert code == 130
    assert re.fullmatch(r"vmk: interrupted by SIGINT before any checkpoint; run it again: vmk pretrain .*\n", err), err
    assert not (run_dir / "checkpoints").exists() and not (run_dir / "results.json").exists()
    monkeypatch.undo()
    code, _, err = vmk("pretrain", *resume_args(err.strip()))  # the printed command, as it is
    assert code == 0, err[-2000:]


def test_a_signal_while_probing_writes_no_results_and_resume_only_probes(vmk, tmp_path, monkeypatch):
    probe = pretrain.probe_with_baseline

    def probe_with_baseline(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
        raise AssertionError("the signal did not stop the run")

    monkeypatch.setattr(pretrain, "probe_with_baseline", probe_with_baseline)
    run_dir = tmp_path / "run"
    code, _, err = vmk("pretrain", *TINY, "trainer.max_steps=2", f"hydra.run.dir={run_dir}")
    assert code == 143
    assert re.fullmatch(r"vmk: interrupted by SIGTERM outside training \(checkpoint of step 2 kept, results not written\); "
                        r"resume: vmk pretrain .* resume=true\n", err), err
    assert not (run_dir / "results.json").exists()
    monkeypatch.setattr(pretrain, "probe_with_baseline", probe)
    code, _, err = vmk("pretrain", *resume_args(err.strip()))
    assert code == 0, err[-2000:]
    results = json.loads((run_dir / "results.json").read_text())
    assert results["status"] == "ok" and results["train"]["steps"] == 2 and "probe_top1" in results["metrics"]


def test_an_interrupted_sweep_stops_launching_marks_the_job_and_writes_the_table(vmk, tmp_path, signal_in_training):
    signal_in_training(signal.SIGTERM, 2, job=1)
    sweep = tmp_path / "sweep"
    code, out, err = vmk("pretrain", "-m", *TINY, "probe.enabled=false", "trainer.max_steps=3", "seed=0,1,2",
                         f"hydra.sweep.dir={sweep}")
    assert code == 143
    lines = err.strip().splitlines()
    assert len(lines) == 2, lines
    job_dir = next(p.parent for p in sweep.glob("*/results.json") if json.loads(p.read_text())["config"]["seed"] == 1)
    assert lines[0] == (f"vmk: job 1 interrupted by SIGTERM at step 3 of 3; checkpoint saved; "
                        f"resume: vmk pretrain hydra.run.dir={job_dir} resume=true"), lines[0]
    assert lines[1] == f"vmk: sweep stopped by SIGTERM: 1 finished, 1 interrupted, the jobs after them not started; table: {sweep / 'results.md'}"
    records = {json.loads(p.read_text())["config"]["seed"]: json.loads(p.read_text()) for p in sweep.glob("*/results.json")}
    assert sorted(records) == [0, 1]  # job 2 never started
    assert records[0]["status"] == "ok"
    assert records[1]["status"] == "interrupted" and records[1]["error"] == "interrupted by SIGTERM at step 3 of 3; checkpoint saved"
    assert "INTERRUPTED" in (sweep / "results.md").read_text()


def test_a_second_signal_while_the_checkpoint_is_written_is_ignored(tmp_path, monkeypatch):
    class SignalWhileSaving(AtomicCheckpointIO):
        def save_checkpoint(self, checkpoint, path, storage_options=None):
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C again, in the middle of the write
            super().save_checkpoint(checkpoint, path, storage_options)
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr("tests.training.test_preemption.AtomicCheckpointIO", SignalWhileSaving)
    last = tmp_path / "checkpoints" / "last.ckpt"
    with interruptible(), pytest.raises(Interrupted) as stop:
        fit(4, tmp_path, Preemption(last, slurm=False), SignalAt(1, signal.SIGINT))
    assert stop.value.code == 130 and stop.value.step == 2
    assert load_checkpoint(last)["global_step"] == 2  # whole, at the step


def test_once_a_stop_began_further_signals_are_ignored_and_the_handlers_come_back():
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    with pytest.raises(Interrupted) as stop:
        with interruptible():
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(5)
            finally:
                os.kill(os.getpid(), signal.SIGINT)  # while the stop is handled: ignored
                time.sleep(0.05)
    assert stop.value.signum == signal.SIGTERM and stop.value.code == 143
    assert {s: signal.getsignal(s) for s in before} == before
