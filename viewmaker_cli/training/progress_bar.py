"""The training bar: one bar over the steps the fit will really run (`trainer.max_steps=5` shows 5, not the
epoch's batches), with the ETA of those steps; a resumed run starts at its checkpoint's step. Drawn by
core/progress.py: a bar on a terminal, a line every tenth of the run elsewhere (CI logs)."""

from __future__ import annotations

import math

import lightning as L
from lightning.pytorch.callbacks.progress import ProgressBar

from viewmaker_cli.core.progress import Progress


def steps_to_run(trainer: L.Trainer) -> int | None:
    """The global step the fit ends at: max_steps, or max_epochs' batches, whichever comes first (None:
    no end is set)."""
    total = trainer.estimated_stepping_batches
    return None if math.isinf(total) else int(total)


class StepProgressBar(ProgressBar):
    LINES_EVERY = 0.1  # off a terminal: a line every tenth of the steps

    def __init__(self) -> None:
        super().__init__()
        self.enabled = True
        self.progress: Progress | None = None

    def disable(self) -> None:  # Lightning: ranks other than 0, and its tuners
        self.enabled = False

    def enable(self) -> None:
        self.enabled = True

    @property
    def is_enabled(self) -> bool:
        return self.enabled

    @property
    def is_disabled(self) -> bool:
        return not self.enabled

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.enabled:
            self.progress = Progress("training", steps_to_run(trainer), "step", initial=trainer.global_step,
                                     lines_every=self.LINES_EVERY)

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs, batch, batch_idx: int) -> None:
        if self.progress is not None:
            metrics = {k: v for k, v in self.get_metrics(trainer, pl_module).items() if k != "v_num"}
            self.progress.set(trainer.global_step, metrics)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._close(failed=False)

    def on_exception(self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException) -> None:
        self._close(failed=True)

    def _close(self, failed: bool) -> None:
        if self.progress is not None:
            self.progress.close(failed)
            self.progress = None
