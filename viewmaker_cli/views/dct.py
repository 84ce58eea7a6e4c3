"""The unnormalised DCT-II over the last one or two dims, as matrices (torch has no DCT).

Matches torch_dct's `dct_2d(x, norm=None)` and scipy's `dct(type=2, norm=None)`, which the authors'
frequency-domain viewmaker used: X_k = 2 · Σ_n x_n cos(π k (2n + 1) / 2N)."""

from __future__ import annotations

import functools
import math

import torch
from torch import Tensor


@functools.lru_cache(maxsize=32)
def _matrices(n: int, device: torch.device) -> tuple[Tensor, Tensor]:
    k = torch.arange(n, dtype=torch.float64)[:, None]
    i = torch.arange(n, dtype=torch.float64)[None, :]
    forward = 2 * torch.cos(math.pi * k * (2 * i + 1) / (2 * n))
    return forward.float().to(device), torch.linalg.inv(forward).float().to(device)


def dct(x: Tensor, dims: int = 2, inverse: bool = False) -> Tensor:
    """DCT-II (or its inverse) of float32 `x` over its last `dims` dimensions."""
    out = x
    for axis in range(-dims, 0):
        matrix = _matrices(x.shape[axis], x.device)[1 if inverse else 0]
        out = torch.movedim(torch.movedim(out, axis, -1) @ matrix.T, -1, axis)
    return out
