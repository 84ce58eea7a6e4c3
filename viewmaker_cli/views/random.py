"""Random draws for batched views, from an optional generator on any device."""

from __future__ import annotations

import torch
from torch import Tensor


def rand(shape: tuple[int, ...], generator: torch.Generator | None, device: torch.device | str) -> Tensor:
    """U[0, 1) drawn on the generator's device (a CPU generator cannot fill a CUDA tensor), then moved."""
    where = generator.device if generator is not None else device
    return torch.rand(shape, generator=generator, device=where).to(device)


def randn(shape: tuple[int, ...], generator: torch.Generator | None, device: torch.device | str) -> Tensor:
    """N(0, 1), drawn like `rand`."""
    where = generator.device if generator is not None else device
    return torch.randn(shape, generator=generator, device=where).to(device)
