"""Pictures for the run's logger (TensorBoard, wandb, MLflow) every N steps: originals beside several views and the |δ| heat map (views/grid.py draws
them)."""

from __future__ import annotations

import lightning as L
import torch
from torch import Tensor

from viewmaker_cli.data.splits import model_space
from viewmaker_cli.training.loggers import log_image
from viewmaker_cli.views.grid import view_grid


class ViewGridLogger(L.Callback):
    """Logs a grid for the first `num_inputs` stored training examples `train_x` every `every_n_steps` batches."""

    def __init__(self, every_n_steps: int, train_x: Tensor, num_inputs: int = 6, num_views: int = 3):
        self.every, self.num_views = every_n_steps, num_views
        self.inputs = train_x[:num_inputs].clone()  # a few examples, not the training set, kept on the host

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        step = trainer.global_step
        if self.every <= 0 or step % self.every or not takes_images(trainer) or trainer.global_rank != 0:
            return
        self.log_grid(trainer, module, step)

    def on_train_end(self, trainer, module) -> None:
        if self.every > 0 and takes_images(trainer) and trainer.global_rank == 0:
            self.log_grid(trainer, module, trainer.global_step)

    @torch.no_grad()
    def log_grid(self, trainer, module, step: int) -> None:
        # Its own RNG stream: logging must not change the noise training sees (exact resume).
        with torch.random.fork_rng(devices=[module.device] if module.device.type == "cuda" else []):
            torch.manual_seed(step)
            self._log_grid(trainer, module, step)

    def _log_grid(self, trainer, module, step: int) -> None:
        x = model_space(self.inputs.to(module.device)).contiguous()
        views = [drawable(module, module.view(x).float()) for _ in range(self.num_views)]
        modality = module.cfg["modality"]["name"]
        grid = view_grid(drawable(module, x), views, modality)
        log_image(trainer.logger, "views/original_views_delta", grid.cpu(), step)


def takes_images(trainer) -> bool:
    """A logger that can show pictures (logger=csv cannot, and says so once at the start)."""
    return trainer.logger is not None and type(trainer.logger).__name__ not in ("CSVLogger",)


def drawable(module, t: Tensor) -> Tensor:
    """What the encoder sees when a front end turns the stored inputs into spectrograms (speech stored as
    waveforms: its log-mels are drawn); otherwise the inputs themselves."""
    encoder_input = getattr(module.normalizer, "encoder_input", None)
    if encoder_input is not None and encoder_input(t.shape[1], t.ndim - 2)[1] != t.ndim - 2:
        return module.normalizer(t).float()
    return t
