"""A run told to stop saves a checkpoint at the end of the current step and stops.

Outside SLURM: SIGINT (Ctrl-C) and SIGTERM (`kill`) save `last.ckpt` and raise core/interrupt.py's
`Interrupted` (exit 130 / 143); the command says in one line how to resume (`resume=true`).

Under SLURM the requeued job (same job id, SLURM_RESTART_COUNT > 0, same run dir) continues from the checkpoint
by itself (trainer.py: resume_from):

- SIGUSR1, the signal a job asks for with `#SBATCH --signal=B:USR1@60` (then `exec vmk pretrain ...`, since
  `B:` signals only the batch shell) or `--signal=USR1@60` (with `srun vmk pretrain ...`): checkpoint, then
  `scontrol requeue $SLURM_JOB_ID`, then stop.
- SIGTERM, what `scontrol requeue`, preemption, the time limit and `scancel` send before SIGKILL: checkpoint,
  then stop. SLURM requeues the job itself when it was requeued or preempted; vmk never does, so that
  `scancel` still ends a job.

Lightning's `SLURMEnvironment(auto_requeue=True)` is turned off (trainer.py) rather than used: it saves its
`hpc_ckpt_N.ckpt` inside the signal handler, wherever in the step the signal lands (between the encoder's and
the viewmaker's update, say), so a resumed run would not continue the uninterrupted one; it restores that file
inside `fit`, where vmk's batches cannot start at its step; it is on only when SLURM_NTASKS is set (srun, not a
plain sbatch script); and on SIGTERM it stops without saving. Here the handler only notes the signal.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
from pathlib import Path

import torch
from lightning.pytorch.callbacks import Callback

from viewmaker_cli.core.interrupt import Interrupted, begin_stop

log = logging.getLogger("vmk")

STOP, REQUEUE = 1, 2  # what a signal asks for; the larger wins when several arrive
SLURM_ACTIONS = {signal.SIGTERM: STOP, signal.SIGUSR1: REQUEUE}
LOCAL_ACTIONS = {signal.SIGINT: STOP, signal.SIGTERM: STOP}


def requeue(env=os.environ) -> str:
    """`scontrol requeue` this job; a line saying what happened (a failure is reported, never raised)."""
    job = env["SLURM_JOB_ID"]
    try:
        done = subprocess.run(["scontrol", "requeue", job], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError) as error:
        return f"could not requeue SLURM job {job} ({error}): submit it again with resume=true"
    if done.returncode:
        reason = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        return f"could not requeue SLURM job {job} (scontrol: {reason}): submit it again with resume=true"
    return f"requeued SLURM job {job}: it resumes from there"


class Preempted(SystemExit):
    """Raised at the end of the step after the signal: Lightning tears the fit down (as for its own
    SIGTERMException), the command stops before probing or writing results, and the process exits with
    128 + the signal's number, as if the signal had killed it."""

    def __init__(self, signum: signal.Signals):
        super().__init__(128 + signum)
        self.signum = signum


class Preemption(Callback):
    """While training: on a stop signal, save `checkpoint` at the end of the current step (where the periodic
    checkpoints are taken) and stop. Under SLURM (`slurm=True`): SIGUSR1 or SIGTERM, the job requeued on
    SIGUSR1, `Preempted` raised. Elsewhere: SIGINT or SIGTERM, `Interrupted` raised."""

    def __init__(self, checkpoint: str | Path, slurm: bool = True):
        self.checkpoint = Path(checkpoint)
        self.slurm = slurm
        self.actions = SLURM_ACTIONS if slurm else LOCAL_ACTIONS
        self.asked = 0  # STOP or REQUEUE once a signal came; written by the handler
        self.signum = 0  # the first signal noted

    def _note(self, signum, frame) -> None:
        self.asked = max(self.asked, self.actions[signal.Signals(signum)])
        self.signum = self.signum or int(signum)

    def on_train_start(self, trainer, pl_module) -> None:
        # Lightning installs its own SIGTERM handler when fit starts (it stops without saving) and restores the
        # handlers it found when fit ends, which removes these too. A SIGTERM its handler took before this
        # point is taken over here rather than left to stop the run without a checkpoint.
        if threading.current_thread() is threading.main_thread():
            for signum in self.actions:
                signal.signal(signum, self._note)
        if trainer.received_sigterm:
            self._note(signal.SIGTERM, None)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        asked, signum = self.asked, self.signum
        if trainer.world_size > 1:  # every rank stops after the same step: the save below has collectives
            flag = torch.tensor([asked, signum], device=trainer.strategy.root_device)
            asked, signum = (int(v) for v in trainer.strategy.reduce(flag, reduce_op="max"))
        if not asked:
            return
        if not self.slurm:
            self._stop(trainer, signal.Signals(signum))
        self._claim_last(trainer)
        # The Trainer's checkpoint writer is vmk's AtomicCheckpointIO; the module adds the RNG states.
        trainer.save_checkpoint(self.checkpoint, weights_only=False)
        signum = signal.SIGUSR1 if asked == REQUEUE else signal.SIGTERM
        if trainer.is_global_zero:
            then = requeue() if asked == REQUEUE else "SLURM requeues the job if it was requeued or preempted"
            log.warning("%s at step %d: saved %s; %s", signum.name, trainer.global_step, self.checkpoint, then)
        raise Preempted(signum)

    def _stop(self, trainer, signum: signal.Signals) -> None:
        begin_stop()  # a second Ctrl-C while the checkpoint is written is ignored
        self._claim_last(trainer)
        trainer.save_checkpoint(self.checkpoint, weights_only=False)
        total = trainer.max_steps if trainer.max_steps > 0 else trainer.estimated_stepping_batches
        total = int(total) if total != float("inf") else None
        raise Interrupted(signum, trainer.global_step, total, self.checkpoint if trainer.is_global_zero else None)

    def _claim_last(self, trainer) -> None:
        for callback in trainer.checkpoint_callbacks:
            if callback.save_last and Path(callback.dirpath or "") == self.checkpoint.parent.resolve():
                # The file is ModelCheckpoint's `last` (its state says so): the resumed run overwrites it
                # instead of writing last-v1.ckpt beside it.
                callback.last_model_path = str(self.checkpoint)


def cluster_plugins() -> list:
    """Lightning's SLURM environment where Lightning would pick it, with its own auto-requeue off (see above)."""
    from lightning.pytorch.plugins.environments import SLURMEnvironment, TorchElasticEnvironment

    if SLURMEnvironment.detect() and not TorchElasticEnvironment.detect():  # Lightning's order: torchrun first
        return [SLURMEnvironment(auto_requeue=False)]
    return []
