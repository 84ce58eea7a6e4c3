"""A SLURM job told to stop saves a checkpoint at the end of the current step and stops; the requeued job
(same job id, SLURM_RESTART_COUNT > 0, same run dir) continues from it by itself (trainer.py: resume_from).

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

log = logging.getLogger("vmk")

STOP, REQUEUE = 1, 2  # what a signal asks for; the larger wins when several arrive
ACTIONS = {signal.SIGTERM: STOP, signal.SIGUSR1: REQUEUE}


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
    """While training under SLURM: on SIGUSR1 or SIGTERM, save `checkpoint` at the end of the current step
    (where the periodic checkpoints are taken), requeue the job on SIGUSR1, and raise `Preempted`."""

    def __init__(self, checkpoint: str | Path):
        self.checkpoint = Path(checkpoint)
        self.asked = 0  # STOP or REQUEUE once a signal came; written by the handler

    def _note(self, signum, frame) -> None:
        self.asked = max(self.asked, ACTIONS[signal.Signals(signum)])

    def on_train_start(self, trainer, pl_module) -> None:
        # Lightning installs its own SIGTERM handler when fit starts (it stops without saving) and restores the
        # handlers it found when fit ends, which removes these too.
        if threading.current_thread() is threading.main_thread():
            for signum in ACTIONS:
                signal.signal(signum, self._note)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        asked = self.asked
        if trainer.world_size > 1:  # every rank stops after the same step: the save below has collectives
            flag = torch.tensor(asked, device=trainer.strategy.root_device)
            asked = int(trainer.strategy.reduce(flag, reduce_op="max"))
        if not asked:
            return
        for callback in trainer.checkpoint_callbacks:
            if callback.save_last and Path(callback.dirpath or "") == self.checkpoint.parent.resolve():
                # The file is ModelCheckpoint's `last` (its state says so): the resumed run overwrites it
                # instead of writing last-v1.ckpt beside it.
                callback.last_model_path = str(self.checkpoint)
        # The Trainer's checkpoint writer is vmk's AtomicCheckpointIO; the module adds the RNG states.
        trainer.save_checkpoint(self.checkpoint, weights_only=False)
        signum = signal.SIGUSR1 if asked == REQUEUE else signal.SIGTERM
        if trainer.is_global_zero:
            then = requeue() if asked == REQUEUE else "SLURM requeues the job if it was requeued or preempted"
            log.warning("%s at step %d: saved %s; %s", signum.name, trainer.global_step, self.checkpoint, then)
        raise Preempted(signum)


def cluster_plugins() -> list:
    """Lightning's SLURM environment where Lightning would pick it, with its own auto-requeue off (see above)."""
    from lightning.pytorch.plugins.environments import SLURMEnvironment, TorchElasticEnvironment

    if SLURMEnvironment.detect() and not TorchElasticEnvironment.detect():  # Lightning's order: torchrun first
        return [SLURMEnvironment(auto_requeue=False)]
    return []
