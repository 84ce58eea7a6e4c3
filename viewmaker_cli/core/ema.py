"""Exponential moving average of a network's weights: the target networks of BYOL and MoCo."""

from __future__ import annotations

import math

import torch
from torch import nn


@torch.no_grad()
def ema_update(online: nn.Module, target: nn.Module, tau: float) -> None:
    """In place: target parameters <- tau·target + (1 - tau)·online; target buffers <- online buffers (BN stats)."""
    if not 0.0 <= tau <= 1.0:
        raise ValueError(f"tau must be in [0, 1], got {tau}")
    for kind, src_items, dst_items in (
        ("parameter", list(online.named_parameters()), list(target.named_parameters())),
        ("buffer", list(online.named_buffers()), list(target.named_buffers())),
    ):
        if len(src_items) != len(dst_items):
            raise ValueError(f"online and target networks have {len(src_items)} vs {len(dst_items)} {kind}s")
        for (name, src), (target_name, dst) in zip(src_items, dst_items):
            if name != target_name or src.shape != dst.shape:
                raise ValueError(f"online and target networks differ at {kind} {name!r} vs {target_name!r}")
            if kind == "parameter":
                dst.lerp_(src, 1.0 - tau)
            else:
                dst.copy_(src)


def cosine_tau(base: float, step: int, total_steps: int) -> float:
    """BYOL's schedule: tau rises from `base` at step 0 to 1 at `total_steps` along a half cosine."""
    progress = min(max(step / max(total_steps, 1), 0.0), 1.0)
    return 1.0 - (1.0 - base) * (math.cos(math.pi * progress) + 1.0) / 2.0
