"""TensorBoard images: originals beside several views and the |δ| heat map, every N steps."""

from __future__ import annotations

import lightning as L
import torch
from torch import Tensor


def view_grid(x: Tensor, views: list[Tensor]) -> Tensor:
    """[3, rows*H, cols*W] image in [0,1]: one row per input — original, views..., |δ| of the first view.

    Images in [0,1] are shown as they are; other inputs (z-scored spectrograms, raw series) are scaled per
    row to the original's range, and a raw series [B, C, T] is drawn as a channels × time map.
    Multi-channel inputs other than RGB show their first channel; |δ| is scaled per row to its maximum."""
    if x.ndim == 3:
        x, views = x[:, None], [v[:, None] for v in views]
    if x.min() < 0 or x.max() > 1:
        lo = x.flatten(1).amin(1)[:, None, None, None]
        span = (x.flatten(1).amax(1)[:, None, None, None] - lo).clamp_min(1e-6)
        x, views = (x - lo) / span, [(v - lo) / span for v in views]
    return _grid(x, views)


def _grid(x: Tensor, views: list[Tensor]) -> Tensor:
    def rgb(t: Tensor) -> Tensor:
        return t.expand(-1, 3, -1, -1) if t.shape[1] == 1 else t[:, :3] if t.shape[1] >= 3 else t[:, :1].expand(-1, 3, -1, -1)

    delta = (views[0] - x).abs().mean(1, keepdim=True)
    delta = delta / delta.flatten(1).amax(1).clamp_min(1e-8)[:, None, None, None]
    heat = torch.cat([delta, delta.sqrt() * 0.6, 1 - delta], 1) * delta.gt(0)  # a warm/cool map
    columns = [rgb(x)] + [rgb(v) for v in views] + [heat]
    rows = torch.cat(columns, dim=3)  # [B, 3, H, cols*W]
    return torch.cat(list(rows), dim=1).clamp(0, 1)  # [3, B*H, cols*W]


class ViewGridLogger(L.Callback):
    """Logs a grid for the first `num_inputs` training examples every `every_n_steps` batches."""

    def __init__(self, every_n_steps: int, num_inputs: int = 6, num_views: int = 3):
        self.every, self.num_inputs, self.num_views = every_n_steps, num_inputs, num_views

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        step = trainer.global_step
        if self.every <= 0 or step % self.every or trainer.logger is None or trainer.global_rank != 0:
            return
        self.log_grid(trainer, module, step)

    def on_train_end(self, trainer, module) -> None:
        if self.every > 0 and trainer.logger is not None and trainer.global_rank == 0:
            self.log_grid(trainer, module, trainer.global_step)

    @torch.no_grad()
    def log_grid(self, trainer, module, step: int) -> None:
        # Its own RNG stream: logging must not change the noise training sees (exact resume).
        with torch.random.fork_rng(devices=[module.device] if module.device.type == "cuda" else []):
            torch.manual_seed(step)
            self._log_grid(trainer, module, step)

    def _log_grid(self, trainer, module, step: int) -> None:
        x = module.gather(torch.arange(min(self.num_inputs, module.train_x.shape[0]), device=module.device))
        x = x.contiguous().float()
        views = [module.view(x).float() for _ in range(self.num_views)]
        trainer.logger.experiment.add_image("views/original_views_delta", view_grid(x, views).cpu(), step)
