"""`vmk` that waits at a known step for the preemption signal, for tests/launcher/test_slurm_preemption.py, so
the signal lands mid-training without relying on timing.

PAUSE_AT="3,8": the job's first run waits as batch 3 starts, its first restart at batch 8 (one per
SLURM_RESTART_COUNT; later runs do not wait). On reaching the step it writes PAUSE_FLAGS/paused-R, then waits
until vmk's handler has noted a signal (at most a minute) and lets the step run."""

import os
import sys
import time
from pathlib import Path

from lightning.pytorch.callbacks import Callback

from viewmaker_cli import cli
from viewmaker_cli.commands import pretrain
from viewmaker_cli.core.slurm import restart_count
from viewmaker_cli.training.preemption import Preemption


class PauseForSignal(Callback):
    def __init__(self, step: int, flag: Path):
        self.step, self.flag = step, flag

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if trainer.global_step != self.step:
            return
        preemption = next(c for c in trainer.callbacks if isinstance(c, Preemption))
        self.flag.write_text(str(self.step))
        deadline = time.time() + 60
        while not preemption.asked and time.time() < deadline:
            time.sleep(0.05)


def build_trainer(*args, **kwargs):
    trainer = original(*args, **kwargs)
    steps = os.environ["PAUSE_AT"].split(",")
    run = restart_count()
    if run < len(steps):
        trainer.callbacks.append(PauseForSignal(int(steps[run]), Path(os.environ["PAUSE_FLAGS"]) / f"paused-{run}"))
    return trainer


original, pretrain.build_trainer = pretrain.build_trainer, build_trainer

if __name__ == "__main__":
    sys.argv[0] = "vmk"
    cli.main()
