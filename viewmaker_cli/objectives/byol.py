"""BYOL (Grill et al. 2020): an online predictor regresses the target network's embedding of the other view."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from viewmaker_cli.objectives.base import Objective
from viewmaker_cli.objectives.configs import BYOLConfig


def predictor(dim: int, hidden: int) -> nn.Sequential:
    """The BYOL prediction MLP: Linear-BN-ReLU-Linear, dim -> hidden -> dim."""
    return nn.Sequential(nn.Linear(dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True), nn.Linear(hidden, dim))


def _regression(p: Tensor, t: Tensor) -> Tensor:
    return 2.0 - 2.0 * F.cosine_similarity(p, t, dim=1).mean()


class BYOL(Objective):
    """Loss ½[(2 - 2cos(q(z1), t2)) + (2 - 2cos(q(z2), t1))], z = online projections, t = target projections.

    The objective owns the predictor q: put `objective.parameters()` in the encoder's optimiser. The training loop owns
    the target network (a frozen copy of encoder+projector), passes `targets=(t1, t2)` of the same two views, and after
    the encoder's optimiser step calls `ema_update(online, target, tau)` with tau = `self.ema` (or `cosine_tau`).
    `forward` stops the gradient at the targets (BYOL). `adversarial` = -loss WITHOUT that stop: the stop-gradient
    keeps the encoder from collapsing, while the viewmaker should see how its views move both branches (if the loop
    computes the targets under no_grad, the viewmaker simply gets the online path only).
    """

    needs_target = True

    def __init__(self, dim: int, hidden: int = 4096, ema: float = 0.99) -> None:
        super().__init__()
        if not 0.0 <= ema <= 1.0:
            raise ValueError(f"ema must be in [0, 1], got {ema}")
        self.dim, self.ema = dim, ema
        self.predictor = predictor(dim, hidden)

    @classmethod
    def from_config(cls, config: BYOLConfig, embedding_dim: int, num_examples: int, num_classes: int) -> BYOL:
        return cls(embedding_dim, config.hidden, config.ema)

    def forward(
        self, z1: Tensor, z2: Tensor, index: Tensor | None = None, *, targets: tuple[Tensor, Tensor] | None = None
    ) -> Tensor:
        t1, t2 = self._check(z1, z2, targets)
        return self._loss(z1, z2, t1.detach(), t2.detach())

    def adversarial(
        self, z1: Tensor, z2: Tensor, index: Tensor | None = None, *, targets: tuple[Tensor, Tensor] | None = None
    ) -> Tensor:
        t1, t2 = self._check(z1, z2, targets)
        return -self._loss(z1, z2, t1, t2)

    def _loss(self, z1: Tensor, z2: Tensor, t1: Tensor, t2: Tensor) -> Tensor:
        # fp32 predictor and cosine: the predictor is tiny, and 2 - 2cos loses its small values in bf16.
        with torch.autocast(device_type=z1.device.type, enabled=False):
            p1, p2 = self.predictor(z1.float()), self.predictor(z2.float())
            return (_regression(p1, t2.float()) + _regression(p2, t1.float())) / 2

    def _check(self, z1: Tensor, z2: Tensor, targets: tuple[Tensor, Tensor] | None) -> tuple[Tensor, Tensor]:
        if targets is None or len(targets) != 2:
            raise ValueError("BYOL needs targets=(t1, t2), the target network's projections of both views")
        for name, z in (("z1", z1), ("z2", z2), ("t1", targets[0]), ("t2", targets[1])):
            if z.dim() != 2 or z.shape != (z1.shape[0], self.dim):
                raise ValueError(f"expected {name} of shape [{z1.shape[0]}, {self.dim}], got {tuple(z.shape)}")
        return targets[0], targets[1]
