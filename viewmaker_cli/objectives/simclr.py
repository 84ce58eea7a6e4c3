"""SimCLR contrastive loss: the authors' one-directional form (default) and standard NT-Xent."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def simclr_loss(z1: Tensor, z2: Tensor, temperature: float = 0.07, symmetric: bool = False) -> Tensor:
    """Contrastive loss between paired embeddings `z1[i]` and `z2[i]`, each `[B, d]`; float32 scalar.

    symmetric=False (Tamkin et al.): only view 1 anchors; its 2B candidates [z1; z2] include itself
    and its positive, nothing masked; loss = -mean(pos/t - (logsumexp - log 2B)).
    symmetric=True: NT-Xent (Chen et al. 2020): all 2B embeddings anchor, self-similarity masked out.
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
        return _nt_xent(z1, z2, temperature) if symmetric else _one_directional(z1, z2, temperature)


def _one_directional(z1: Tensor, z2: Tensor, temperature: float) -> Tensor:
    pos = (z1 * z2).sum(dim=1) / temperature
    logits = z1 @ torch.cat([z1, z2]).T / temperature
    # log 2B is a constant (no gradient effect); kept so the values match the authors' logs.
    log_norm = torch.logsumexp(logits, dim=1) - math.log(logits.shape[1])
    return -(pos - log_norm).mean()


def _nt_xent(z1: Tensor, z2: Tensor, temperature: float) -> Tensor:
    z = torch.cat([z1, z2])
    n = z1.shape[0]
    logits = (z @ z.T / temperature).fill_diagonal_(float("-inf"))
    partner = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device)
    return F.cross_entropy(logits, partner)


class SimCLR(nn.Module):
    """The encoder minimises `forward`; the viewmaker minimises `adversarial`, which is exactly its negative."""

    def __init__(self, temperature: float = 0.07, symmetric: bool = False) -> None:
        super().__init__()
        self.temperature = temperature
        self.symmetric = symmetric

    def forward(self, z1: Tensor, z2: Tensor) -> Tensor:
        return simclr_loss(z1, z2, self.temperature, self.symmetric)

    def adversarial(self, z1: Tensor, z2: Tensor) -> Tensor:
        return -self.forward(z1, z2)
