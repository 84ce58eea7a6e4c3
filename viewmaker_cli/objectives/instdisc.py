"""Instance discrimination with a memory bank (Wu et al. 2018), as the viewmaker authors implement it."""

from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from viewmaker_cli.core import dist
from viewmaker_cli.objectives.base import Objective
from viewmaker_cli.objectives.configs import InstDiscConfig


class InstDisc(Objective):
    """NCE-style loss of one view against an index-addressed memory bank of past embeddings.

    Encoder loss (view 1 only; `z2` is ignored and may be None):
        pos_i = z_i·bank[idx_i]; negterm_i = logsumexp_j(z_i·bank[neg_ij]/t) - log k
        loss = -mean_i(pos_i/t - negterm_i)
    `neg` is [B, k], drawn uniformly with replacement from the whole bank (own index included), fresh on every call.
    The viewmaker minimises `adversarial` = -loss. `after_step` moves bank[idx] towards z (momentum m) in place;
    call it once per training step after the encoder's optimiser step, with the encoder pass's z1 and index.
    Under DDP (`gather`, default: every rank of the process group) each rank's loss covers its own rows, its
    negatives are its rows of one draw for the global batch (every rank draws alike), and the bank is
    written with every rank's rows, so it stays the same on every rank and equal to one process's bank.
    """

    needs_index = True

    def __init__(
        self,
        num_examples: int,
        dim: int = 128,
        num_negatives: int = 4096,
        momentum: float = 0.5,
        temperature: float = 0.07,
        double_update: bool = False,
        gather: Callable[[Tensor], Tensor] | None = None,
    ) -> None:
        super().__init__()
        if num_examples < 1 or dim < 1 or num_negatives < 1:
            sizes = f"{num_examples}, {dim}, {num_negatives}"
            raise ValueError(f"num_examples, dim, num_negatives must be positive, got {sizes}")
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"momentum must be in [0, 1], got {momentum}")
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        self.num_examples, self.dim, self.num_negatives = num_examples, dim, num_negatives
        self.momentum, self.temperature, self.double_update = momentum, temperature, double_update
        # Bank updates must see every device's batch so the per-device banks stay identical under DDP.
        self.gather = gather or dist.all_gather
        scale = 1.0 / math.sqrt(dim / 3)
        bank = torch.rand(num_examples, dim) * (2 * scale) - scale
        self.register_buffer("bank", F.normalize(bank, dim=1))

    @classmethod
    def from_config(cls, config: InstDiscConfig, embedding_dim: int, num_examples: int, num_classes: int) -> InstDisc:
        return cls(num_examples, embedding_dim, config.num_negatives, config.momentum, config.temperature, config.double_update)

    def sample_negatives(self, batch: int, generator: torch.Generator | None = None) -> Tensor:
        """[batch, k] indices, uniform with replacement over the bank (own index not excluded, as the authors do).
        Under DDP `batch` is this rank's share: the draw is made for the global batch and this rank's rows kept."""
        device = self.bank.device if generator is None else generator.device
        world = dist.world_size()
        neg = torch.randint(0, self.num_examples, (batch * world, self.num_negatives), device=device, generator=generator)
        return neg[dist.local_rows(batch * world)].to(self.bank.device)

    def forward(
        self,
        z1: Tensor,
        z2: Tensor | None = None,
        index: Tensor | None = None,
        *,
        negatives: Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """Loss of `z1` [B, d] for examples `index` [B]; `negatives` [B, k] fixes the negative indices (tests)."""
        index = self._check(z1, index)
        if negatives is None:
            negatives = self.sample_negatives(z1.shape[0], generator)
        elif negatives.dim() != 2 or negatives.shape[0] != z1.shape[0]:
            raise ValueError(f"negatives must be [B, k] with B = {z1.shape[0]}, got {tuple(negatives.shape)}")
        negatives = negatives.to(self.bank.device)
        # fp32 even under autocast: logits up to 1/0.07 and a logsumexp over 4096 terms are too coarse in bf16.
        with torch.autocast(device_type=z1.device.type, enabled=False):
            z = F.normalize(z1.float(), dim=1)
            bank = self.bank.detach()
            pos = (z * bank[index]).sum(dim=1)
            if self.num_examples <= negatives.shape[1] * self.dim:
                # All dot products then a gather: B×N floats is far smaller than the B×k×d gathered bank rows.
                neg = (z @ bank.T).gather(1, negatives)
            else:
                neg = torch.einsum("bd,bkd->bk", z, bank[negatives])
            # The positive is not in the normaliser, and log k is a constant kept to match the authors' values.
            negterm = torch.logsumexp(neg / self.temperature, dim=1) - math.log(negatives.shape[1])
            return -(pos / self.temperature - negterm).mean()

    @torch.no_grad()
    def after_step(self, z1: Tensor, z2: Tensor | None = None, index: Tensor | None = None) -> None:
        """bank[idx] <- normalize(m·bank[idx] + (1-m)·z) in place, with the encoder pass's embeddings."""
        index = self._check(z1, index)
        z = F.normalize(self.gather(z1.detach()).float(), dim=1).to(self.bank.device)
        index = self.gather(index).to(self.bank.device)
        mixed = self.momentum * self.bank[index] + (1 - self.momentum) * z
        # index_copy_ writes the rows in place; the authors' out-of-place scatter copied the whole N×d bank.
        self.bank.index_copy_(0, index, F.normalize(mixed, dim=1))

    @torch.no_grad()
    def after_viewmaker_step(self, z1: Tensor, z2: Tensor | None = None, index: Tensor | None = None) -> None:
        """double_update: the authors' second write of the step, in their order — after the viewmaker's loss,
        with the viewmaker pass's embeddings (their training_step_end ran once per optimiser pass)."""
        if self.double_update:
            self.after_step(z1, z2, index)

    def _check(self, z1: Tensor, index: Tensor | None) -> Tensor:
        if index is None:
            raise ValueError("InstDisc needs the dataset index of every example (needs_index=True)")
        if z1.dim() != 2 or z1.shape[1] != self.dim:
            raise ValueError(f"expected [B, {self.dim}] embeddings, got {tuple(z1.shape)}")
        if index.shape != (z1.shape[0],):
            raise ValueError(f"expected index of shape ({z1.shape[0]},), got {tuple(index.shape)}")
        return index.to(self.bank.device, torch.long)
