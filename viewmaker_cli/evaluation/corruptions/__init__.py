"""The 15 corruption families of CIFAR-10-C (Hendrycks & Dietterich 2019), generated on the device for any
image data at severities 1..5. Names are the stems of CIFAR-10-C's .npy files, in the paper's order."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from viewmaker_cli.evaluation.corruptions.digital import contrast, elastic_transform, jpeg_compression, pixelate
from viewmaker_cli.evaluation.corruptions.noise_blur import (
    defocus_blur,
    gaussian_noise,
    glass_blur,
    impulse_noise,
    motion_blur,
    shot_noise,
    zoom_blur,
)
from viewmaker_cli.evaluation.corruptions.weather import brightness, fog, frost, snow

Corruption = Callable[[Tensor, int, torch.Generator], Tensor]

CORRUPTIONS: dict[str, Corruption] = {
    "gaussian_noise": gaussian_noise,
    "shot_noise": shot_noise,
    "impulse_noise": impulse_noise,
    "defocus_blur": defocus_blur,
    "glass_blur": glass_blur,
    "motion_blur": motion_blur,
    "zoom_blur": zoom_blur,
    "snow": snow,
    "frost": frost,
    "fog": fog,
    "brightness": brightness,
    "contrast": contrast,
    "elastic_transform": elastic_transform,
    "pixelate": pixelate,
    "jpeg_compression": jpeg_compression,
}
SEVERITIES = (1, 2, 3, 4, 5)


def corrupt(x: Tensor, name: str, severity: int, generator: torch.Generator) -> Tensor:
    """`name` at `severity` applied to float images [B, C, H, W] in [0, 1], then stored as CIFAR-10-C
    stores it: 8 bits, truncated (numpy's uint8 cast). Returns uint8 [B, C, H, W]."""
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be 1..5, got {severity}")
    out = CORRUPTIONS[name](x.float(), severity, generator)
    return (out.clamp(0, 1) * 255).to(torch.uint8)
