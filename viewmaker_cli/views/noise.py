"""Random-noise views: the paper's ablation (52.01% on CIFAR-10 against the viewmaker's 84.5%).

Gaussian δ ~ N(0, 1), rescaled per example onto the same L1 sphere as the viewmaker's (mean |δ| = ε),
added to the input and clamped like learned views. No tanh: the reference leaves it open; plain
Gaussian noise is what "Gaussian noise at the same budget" says. Nothing here is trained.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from viewmaker_cli.views.viewmaker import rescale_to_budget


class NoiseViews(nn.Module):
    def __init__(self, budget: float = 0.05, clamp: bool = True):
        super().__init__()
        self.budget, self.clamp = budget, clamp
        # (rank, world) under data parallelism: draw for the global batch, keep this rank's rows (as Viewmaker).
        self.shard: tuple[int, int] | None = None

    def perturbation(self, x: Tensor) -> Tensor:
        rank, world = self.shard or (0, 1)
        with torch.autocast(device_type=x.device.type, enabled=False):
            noise = torch.randn((x.shape[0] * world, *x.shape[1:]), device=x.device, dtype=torch.float32)
            return rescale_to_budget(noise[rank * x.shape[0] : (rank + 1) * x.shape[0]], self.budget)

    def forward(self, x: Tensor) -> Tensor:
        views = x.float() + self.perturbation(x)
        return views.clamp(0, 1) if self.clamp else views
