"""Weather corruptions of CIFAR-10-C (snow, frost, fog, brightness), batched on the device.

Same contract as noise_blur.py. Frost differs from the original by necessity: CIFAR-10-C blends crops of six
frost photographs that are not available here; a procedural frost texture (a rough plasma fractal with
fine bright crystals, tinted pale blue) takes their place, with the original blend weights.
"""

from __future__ import annotations

import torch
from torch import Tensor

from viewmaker_cli.evaluation.corruptions.filters import clipped_zoom, luma, motion_blur, plasma_fractal, uniform
from viewmaker_cli.views.random import randn


def _scale(x: Tensor) -> float:
    return min(x.shape[-2:]) / 32


def _mapsize(x: Tensor) -> int:
    return 1 << (max(x.shape[-2:]) - 1).bit_length()  # the smallest power of two that covers the image


def snow(x: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    loc, scale, zoom, threshold, radius, sigma, blend = [
        (0.1, 0.2, 1, 0.6, 8, 3, 0.95),
        (0.1, 0.2, 1, 0.5, 10, 4, 0.9),
        (0.15, 0.3, 1.75, 0.55, 10, 4, 0.9),
        (0.25, 0.3, 2.25, 0.6, 12, 6, 0.85),
        (0.3, 0.3, 1.25, 0.65, 14, 12, 0.8),
    ][severity - 1]
    b, _, h, w = x.shape
    layer = loc + scale * randn((b, 1, h, w), generator, x.device)
    layer = clipped_zoom(layer, zoom)
    layer = torch.where(layer < threshold, torch.zeros_like(layer), layer).clamp(0, 1)
    layer = torch.floor(layer * 255) / 255  # the authors pass the layer through an 8-bit PNG
    s = _scale(x)
    layer = motion_blur(layer, radius * s, sigma * s, uniform((b,), -135, -45, generator, x.device))
    layer = torch.round(layer * 255) / 255
    x = blend * x + (1 - blend) * torch.maximum(x, luma(x) * 1.5 + 0.5)
    return (x + layer + layer.flip(-2, -1)).clamp(0, 1)


def frost_texture(batch: int, channels: int, height: int, width: int, generator: torch.Generator, device) -> Tensor:
    """Procedural frost [B, C, H, W] in [0, 1]: a rough fractal haze plus sparse bright crystals."""
    size = 1 << (max(height, width) - 1).bit_length()
    haze = plasma_fractal(batch, size, 1.4, generator, device)[:, :height, :width]
    fine = plasma_fractal(batch, size, 1.1, generator, device)[:, :height, :width]
    crystals = ((fine - 0.55) / 0.45).clamp(0, 1).sqrt()
    frost = (0.35 + 0.4 * haze + 0.5 * crystals).clamp(0, 1).unsqueeze(1)
    tint = torch.tensor([0.86, 0.93, 1.0], device=device)
    tint = tint.view(1, 3, 1, 1) if channels == 3 else tint.mean().view(1, 1, 1, 1).expand(1, channels, 1, 1)
    return frost * tint


def frost(x: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    image_weight, frost_weight = [(1, 0.2), (1, 0.3), (0.9, 0.4), (0.85, 0.4), (0.75, 0.45)][severity - 1]
    b, c, h, w = x.shape
    return (image_weight * x + frost_weight * frost_texture(b, c, h, w, generator, x.device)).clamp(0, 1)


def fog(x: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    strength, decay = [(0.2, 3), (0.5, 3), (0.75, 2.5), (1, 2), (1.5, 1.75)][severity - 1]
    b, _, h, w = x.shape
    top = x.amax((1, 2, 3), keepdim=True)
    haze = plasma_fractal(b, _mapsize(x), decay, generator, x.device)[:, None, :h, :w]
    return ((x + strength * haze) * top / (top + strength)).clamp(0, 1)


def brightness(x: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    """V += c in HSV. With hue and saturation kept, that scales each pixel's channels by V'/V (grey V' where
    the pixel was black); for one channel it is x + c."""
    c = [0.05, 0.1, 0.15, 0.2, 0.3][severity - 1]
    v = x.amax(1, keepdim=True)
    lifted = (v + c).clamp(0, 1)
    return torch.where(v > 0, x * lifted / v.clamp_min(1e-12), lifted.expand_as(x)).clamp(0, 1)
