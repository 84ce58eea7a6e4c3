"""SimCLR contrastive loss: the authors' one-directional form (default) and standard NT-Xent."""

from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from viewmaker_cli.core import dist
from viewmaker_cli.objectives.base import Objective
from viewmaker_cli.objectives.configs import SimCLRConfig


def simclr_loss(
    z1: Tensor,
    z2: Tensor,
    temperature: float = 0.07,
    symmetric: bool = False,
    gather: Callable[[Tensor], Tensor] | None = None,
) -> Tensor:
    """Contrastive loss between paired embeddings `z1[i]` and `z2[i]`, each `[B, d]`; float32 scalar.

    symmetric=False (Tamkin et al.): only view 1 anchors; its 2B candidates [z1; z2] include itself
    and its positive, nothing masked; loss = -mean(pos/t - (logsumexp - log 2B)).
    symmetric=True: NT-Xent (Chen et al. 2020): all 2B embeddings anchor, self-similarity masked out.

    Under DDP each rank passes its rows of the global batch: they anchor, and the candidates are all 2B
    global embeddings, gathered with gradients (`gather`, default: every rank of the process group; the
    identity on one process). The mean of the ranks' losses is the loss of one process on the global batch.
    """
    if z1.dim() != 2 or z1.shape != z2.shape:
        shapes = f"{tuple(z1.shape)} and {tuple(z2.shape)}"
        raise ValueError(f"expected two [B, d] embeddings of the same shape, got {shapes}")
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    # fp32 even under autocast: logits of 1/0.07 ~ 14 and a logsumexp over 2B terms are too coarse in bf16.
    with torch.autocast(device_type=z1.device.type, enabled=False):
        # F.normalize clamps the norm at a tiny eps; the authors divide by the raw norm (NaN for a zero vector).
        z1 = F.normalize(z1.float(), dim=1)
        z2 = F.normalize(z2.float(), dim=1)
        gather = gather or dist.all_gather
        # Normalised before the gather: each row is normalised once, by its owner.
        candidates = torch.cat([gather(z1), gather(z2)])
        if symmetric:
            return _nt_xent(z1, z2, candidates, temperature)
        return _one_directional(z1, z2, candidates, temperature)


def _one_directional(z1: Tensor, z2: Tensor, candidates: Tensor, temperature: float) -> Tensor:
    pos = (z1 * z2).sum(dim=1) / temperature
    logits = z1 @ candidates.T / temperature
    # log 2B is a constant (no gradient effect); kept so the values match the authors' logs.
    log_norm = torch.logsumexp(logits, dim=1) - math.log(logits.shape[1])
    return -(pos - log_norm).mean()


def _nt_xent(z1: Tensor, z2: Tensor, candidates: Tensor, temperature: float) -> Tensor:
    """Anchors: this rank's n rows of both views; candidates: all 2B rows, [view 1 of all ranks; view 2 of
    all ranks], this rank's rows starting at `offset` in each half (offset 0 and n = B on one process)."""
    n, total = z1.shape[0], candidates.shape[0] // 2
    offset = dist.rank() * n if total != n else 0
    logits = torch.cat([z1, z2]) @ candidates.T / temperature
    rows = torch.arange(n, device=logits.device)
    own = torch.cat([offset + rows, total + offset + rows])  # each anchor's own column: masked out
    partner = torch.cat([total + offset + rows, offset + rows])
    logits = logits.index_put((torch.arange(2 * n, device=logits.device), own), torch.full((), float("-inf"), dtype=logits.dtype, device=logits.device))
    return F.cross_entropy(logits, partner)


class SimCLR(Objective):
    """The encoder minimises `forward`; the viewmaker minimises `adversarial`, which is exactly its negative.
    Negatives are gathered from every rank under DDP (see `simclr_loss`)."""

    def __init__(
        self, temperature: float = 0.07, symmetric: bool = False, gather: Callable[[Tensor], Tensor] | None = None
    ) -> None:
        super().__init__()
        self.temperature = temperature
        self.symmetric = symmetric
        self.gather = gather

    @classmethod
    def from_config(cls, config: SimCLRConfig, embedding_dim: int, num_examples: int, num_classes: int) -> SimCLR:
        return cls(config.temperature, config.symmetric)

    def forward(self, z1: Tensor, z2: Tensor) -> Tensor:
        return simclr_loss(z1, z2, self.temperature, self.symmetric, self.gather)
