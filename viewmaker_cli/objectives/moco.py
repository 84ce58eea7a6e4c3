"""MoCo v2 (He et al. 2020; Chen et al. 2020): InfoNCE against momentum-encoder keys and a FIFO queue of past keys."""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from viewmaker_cli.core import dist
from viewmaker_cli.objectives.base import Objective
from viewmaker_cli.objectives.configs import MoCoConfig


class MoCo(Objective):
    """Symmetrised InfoNCE: ½[L(q1, k2) + L(q2, k1)], L(q, k) = CE([q·k, q·queue] / t, 0), all L2-normalised.

    q = online projections (z1, z2); k = the momentum encoder's projections of the same views, passed as
    `targets=(k1, k2)`. Per training step the loop calls, in order: `forward` (encoder loss) -> encoder optimiser step
    -> `ema_update(online, target, self.ema)` (core/ema.py) -> `after_step(z1, z2, targets=(k1, k2))`, which enqueues
    the keys -> the viewmaker pass with `adversarial` = -loss. `forward` stops the gradient at the keys; `adversarial`
    does not (the viewmaker may see both branches if the loop computes the keys with grad enabled).
    One queue of size K holds both views' keys (2B per step, ring buffer); `gather` collects keys from all devices
    (default: every rank of the process group; the identity on one process), so every rank's queue is the same
    and equal to one process's. Each rank's loss covers its own rows.
    """

    needs_target = True

    def __init__(
        self,
        dim: int,
        queue_size: int = 65536,
        temperature: float = 0.2,
        ema: float = 0.999,
        gather: Callable[[Tensor], Tensor] | None = None,
    ) -> None:
        super().__init__()
        if queue_size < 1:
            raise ValueError(f"queue_size must be positive, got {queue_size}")
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        if not 0.0 <= ema <= 1.0:
            raise ValueError(f"ema must be in [0, 1], got {ema}")
        self.dim, self.queue_size, self.temperature, self.ema = dim, queue_size, temperature, ema
        self.gather = gather or dist.all_gather
        # Random unit keys until real ones arrive, as in MoCo.
        self.register_buffer("queue", F.normalize(torch.randn(queue_size, dim), dim=1))
        self.register_buffer("queue_ptr", torch.zeros((), dtype=torch.long))

    @classmethod
    def from_config(cls, config: MoCoConfig, embedding_dim: int, num_examples: int, num_classes: int) -> MoCo:
        return cls(embedding_dim, config.queue_size, config.temperature, config.ema)

    def forward(
        self, z1: Tensor, z2: Tensor, index: Tensor | None = None, *, targets: tuple[Tensor, Tensor] | None = None
    ) -> Tensor:
        k1, k2 = self._check(z1, z2, targets)
        return self._loss(z1, z2, k1.detach(), k2.detach())

    def adversarial(
        self, z1: Tensor, z2: Tensor, index: Tensor | None = None, *, targets: tuple[Tensor, Tensor] | None = None
    ) -> Tensor:
        k1, k2 = self._check(z1, z2, targets)
        return -self._loss(z1, z2, k1, k2)

    @torch.no_grad()
    def after_step(
        self, z1: Tensor, z2: Tensor, index: Tensor | None = None, *, targets: tuple[Tensor, Tensor] | None = None
    ) -> None:
        """Enqueue both views' (gathered, normalised) keys in place, overwriting the oldest; the pointer wraps."""
        k1, k2 = self._check(z1, z2, targets)
        keys = F.normalize(torch.cat([self.gather(k1.detach()), self.gather(k2.detach())]).float(), dim=1)
        n = keys.shape[0]
        slots = (self.queue_ptr + torch.arange(n, device=self.queue.device)) % self.queue_size
        # More keys than slots: write only the newest K (same end state as writing all in order, no repeated slot).
        self.queue.index_copy_(0, slots[-self.queue_size :], keys[-self.queue_size :].to(self.queue.device))
        self.queue_ptr.copy_((self.queue_ptr + n) % self.queue_size)

    def _loss(self, z1: Tensor, z2: Tensor, k1: Tensor, k2: Tensor) -> Tensor:
        # fp32 even under autocast: logits of 1/0.2 over 65k queued keys need a precise logsumexp.
        with torch.autocast(device_type=z1.device.type, enabled=False):
            q1, q2 = F.normalize(z1.float(), dim=1), F.normalize(z2.float(), dim=1)
            k1, k2 = F.normalize(k1.float(), dim=1), F.normalize(k2.float(), dim=1)
            queue = self.queue.detach()
            return (self._info_nce(q1, k2, queue) + self._info_nce(q2, k1, queue)) / 2

    def _info_nce(self, q: Tensor, k: Tensor, queue: Tensor) -> Tensor:
        logits = torch.cat([(q * k).sum(dim=1, keepdim=True), q @ queue.T], dim=1) / self.temperature
        return F.cross_entropy(logits, torch.zeros(q.shape[0], dtype=torch.long, device=q.device))

    def _check(self, z1: Tensor, z2: Tensor, targets: tuple[Tensor, Tensor] | None) -> tuple[Tensor, Tensor]:
        if targets is None or len(targets) != 2:
            raise ValueError("MoCo needs targets=(k1, k2), the momentum encoder's projections of both views")
        for name, z in (("z1", z1), ("z2", z2), ("k1", targets[0]), ("k2", targets[1])):
            if z.dim() != 2 or z.shape != (z1.shape[0], self.dim):
                raise ValueError(f"expected {name} of shape [{z1.shape[0]}, {self.dim}], got {tuple(z.shape)}")
        return targets[0], targets[1]
