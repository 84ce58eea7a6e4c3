"""The preemption handler's decisions without a SLURM cluster (tests/launcher/test_slurm_preemption.py runs the
real thing): which signal requeues, where the checkpoint is taken, what a requeued job resumes from."""

import os
import shutil
import signal
import stat

import lightning as L
import pytest
import torch
from lightning.pytorch.callbacks import Callback, ModelCheckpoint
from omegaconf import OmegaConf

from tests.training.test_resume_across_epochs import CONFIG, X
from viewmaker_cli.data.batches import StoredBatches
from viewmaker_cli.models.encoder import Normalizer
from viewmaker_cli.training.checkpoint import AtomicCheckpointIO, load_checkpoint
from viewmaker_cli.training.module import PretrainSystem
from viewmaker_cli.training.preemption import Preempted, Preemption, requeue
from viewmaker_cli.training.trainer import resume_from


@pytest.fixture
def slurm_job(tmp_path, monkeypatch):
    """A SLURM job's environment with a fake `scontrol` that records its arguments (exit code from FAIL)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    scontrol = bin_dir / "scontrol"
    scontrol.write_text('#!/bin/sh\necho "$@" >> "$(dirname "$0")/calls"\n'
                        '[ -n "$FAIL" ] && { echo "scontrol: error: Invalid job id specified" >&2; exit 1; }\nexit 0\n')
    scontrol.chmod(scontrol.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("SLURM_JOB_ID", "4242")
    monkeypatch.delenv("SLURM_RESTART_COUNT", raising=False)
    monkeypatch.delenv("SLURM_NTASKS", raising=False)
    return bin_dir / "calls"


class SignalAt(Callback):
    """Sends this process `signum` as batch `step` starts (the handler runs at once, mid-step)."""

    def __init__(self, step, signum):
        self.step, self.signum = step, signum

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if trainer.global_step == self.step:
            os.kill(os.getpid(), self.signum)


def fit(steps, run_dir, *callbacks, resume=None):
    torch.manual_seed(0)
    system = PretrainSystem(CONFIG, X, Normalizer.identity(3))
    trainer = L.Trainer(max_steps=steps, logger=False, enable_checkpointing=any(isinstance(c, ModelCheckpoint) for c in callbacks),
                        callbacks=list(callbacks),
                        plugins=[AtomicCheckpointIO()], enable_progress_bar=False, enable_model_summary=False,
                        accelerator="cpu", devices=1, deterministic=True, default_root_dir=run_dir)
    batches = StoredBatches(X, 4, seed=3)
    if resume:
        batches.start_at(load_checkpoint(resume)["global_step"])
    L.seed_everything(1, verbose=False)
    trainer.fit(system, train_dataloaders=batches, ckpt_path=resume, weights_only=True)
    return trainer, system.state_dict()


@pytest.mark.parametrize("signum, requeued", [(signal.SIGUSR1, True), (signal.SIGTERM, False)])
def test_a_signal_saves_after_the_current_step_and_stops_the_run(tmp_path, slurm_job, signum, requeued):
    before = signal.getsignal(signum)
    last = tmp_path / "checkpoints" / "last.ckpt"
    def checkpoints():  # as vmk's: `last.ckpt` beside the run's periodic ones (none in 10 steps)
        return ModelCheckpoint(dirpath=last.parent, save_last=True, every_n_train_steps=100)

    with pytest.raises(Preempted) as stop:
        fit(10, tmp_path, Preemption(last), checkpoints(), SignalAt(5, signum))
    assert stop.value.code == 128 + signum  # the command exits as if killed by the signal, without results
    saved = load_checkpoint(last)  # weights_only=True
    assert saved["global_step"] == 6 and "rng" in saved["vmk"]  # batch 5 finished, then the stop
    assert (slurm_job.read_text().split() if slurm_job.exists() else []) == (["requeue", "4242"] if requeued else [])
    assert signal.getsignal(signum) == before, "the handler is gone once fit ends"

    # The requeued job resumes from that checkpoint and ends where an uninterrupted fit ends; ModelCheckpoint
    # takes the file as its own `last` (no last-v1.ckpt beside it).
    _, resumed = fit(10, tmp_path, Preemption(last), checkpoints(), resume=str(last))
    assert sorted(p.name for p in last.parent.iterdir()) == ["last.ckpt"]
    assert load_checkpoint(last)["global_step"] == 10
    _, straight = fit(10, tmp_path / "straight")
    for key, value in straight.items():
        assert torch.equal(value, resumed[key]), key


def test_without_a_signal_nothing_changes(tmp_path, slurm_job):
    trainer, _ = fit(3, tmp_path, Preemption(tmp_path / "last.ckpt"))
    assert trainer.global_step == 3 and not (tmp_path / "last.ckpt").exists()


def test_a_failed_requeue_is_one_line_not_an_error(slurm_job, monkeypatch):
    assert requeue() == "requeued SLURM job 4242: it resumes from there"
    monkeypatch.setenv("FAIL", "1")
    assert requeue() == ("could not requeue SLURM job 4242 (scontrol: scontrol: error: Invalid job id specified): "
                         "submit it again with resume=true")


def test_a_requeued_job_resumes_from_its_run_dirs_last_checkpoint(tmp_path, slurm_job, monkeypatch):
    last = tmp_path / "checkpoints" / "last.ckpt"
    with pytest.raises(Preempted):
        fit(10, tmp_path, Preemption(last), SignalAt(2, signal.SIGTERM))
    cfg = OmegaConf.create({"ckpt_path": None, "resume": False, "data": {"name": "toy"},
                            "modality": CONFIG["modality"], "model": CONFIG["model"]})
    shape = tuple(X.shape[1:])
    assert resume_from(cfg, tmp_path, shape) == (None, 0)  # first run of the job: a fresh start
    monkeypatch.setenv("SLURM_RESTART_COUNT", "1")
    assert resume_from(cfg, tmp_path, shape) == (str(last), 3)
    cfg.ckpt_path = str(shutil.copy(last, tmp_path / "start.ckpt"))
    assert resume_from(cfg, tmp_path, shape) == (str(last), 3)  # the job's own checkpoint wins over its start
    assert resume_from(cfg, tmp_path / "other", shape) == (cfg.ckpt_path, 3)  # none yet: where it started
    monkeypatch.delenv("SLURM_JOB_ID")
    cfg.ckpt_path = None
    assert resume_from(cfg, tmp_path, shape) == (None, 0)  # off SLURM: only resume=true / ckpt_path resume
