"""Noise and blur corruptions of CIFAR-10-C (Hendrycks & Dietterich 2019), batched on the device.

Each takes float images [B, C, H, W] in [0, 1], a severity 1..5 and a generator, and returns images in
[0, 1]. Parameters are CIFAR-10-C's (make_cifar_c.py); pixel-sized ones scale with the image side / 32.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from viewmaker_cli.evaluation.corruptions.filters import clipped_zoom, filter2d, gaussian_blur, uniform
from viewmaker_cli.evaluation.corruptions.filters import motion_blur as blur_along
from viewmaker_cli.views.random import rand, randn


def _scale(x: Tensor) -> float:
    return min(x.shape[-2:]) / 32


def gaussian_noise(x: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    c = [0.04, 0.06, 0.08, 0.09, 0.10][severity - 1]
    return (x + c * randn(tuple(x.shape), generator, x.device)).clamp(0, 1)


def shot_noise(x: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    c = [500, 250, 100, 75, 50][severity - 1]
    return (torch.poisson(x * c, generator=generator) / c).clamp(0, 1)


def impulse_noise(x: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    """Salt and pepper on a fraction `amount` of the values, half each (skimage's s&p)."""
    amount = [0.01, 0.02, 0.03, 0.05, 0.07][severity - 1]
    u = rand(tuple(x.shape), generator, x.device)
    out = torch.where(u < amount / 2, torch.ones_like(x), x)
    return torch.where((u >= amount / 2) & (u < amount), torch.zeros_like(x), out)


def disk_kernel(radius: float, alias_blur: float, device) -> Tensor:
    """Hendrycks' `disk`: an aliased disk on a 17x17 grid, normalised, smoothed by a 3x3 Gaussian."""
    span = max(8, int(radius))
    grid = torch.arange(-span, span + 1, device=device, dtype=torch.float32)
    disk = ((grid[:, None] ** 2 + grid[None] ** 2) <= radius**2).float()
    disk = disk / disk.sum()
    size = 3 if radius <= 8 else 5
    g = torch.exp(-0.5 * (torch.arange(size, device=device) - size // 2).float() ** 2 / alias_blur**2)
    g = g / g.sum()
    kernel = filter2d(disk[None, None], g[:, None] * g[None], mode="mirror")[0, 0]
    keep = kernel.abs().sum(0) > 0  # trim the all-zero border: a smaller convolution, the same result
    first, last = int(keep.nonzero().min()), int(keep.nonzero().max())
    reach = max(span - first, last - span)
    return kernel[span - reach : span + reach + 1, span - reach : span + reach + 1]


def defocus_blur(x: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    radius, alias = [(0.3, 0.4), (0.4, 0.5), (0.5, 0.6), (1, 0.2), (1.5, 0.1)][severity - 1]
    s = _scale(x)
    return filter2d(x, disk_kernel(radius * s, alias * s, x.device), mode="mirror").clamp(0, 1)


def glass_blur(x: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    """Blur, quantise to 8 bits, move pixels locally, blur again.

    The authors' loop means to swap each pixel (h, w), from the bottom right up, with a random neighbour
    (h + dy, w + dx), dy and dx in randint(-delta, delta); but a numpy tuple swap of two views copies the
    neighbour over the pixel and leaves the neighbour as it was, and that is what CIFAR-10-C holds. With
    delta 1 every neighbour read is still unmodified when it is read, so the loop is exactly one gather per
    iteration, done here at once for the batch (for delta > 1, i.e. images over 47 pixels, it is the
    loop's parallel form)."""
    sigma, delta, iterations = [(0.05, 1, 1), (0.25, 1, 1), (0.4, 1, 1), (0.25, 1, 2), (0.4, 1, 2)][severity - 1]
    s = _scale(x)
    sigma, delta = sigma * s, max(1, round(delta * s))
    x = torch.floor(gaussian_blur(x, sigma) * 255) / 255
    b, c, h, w = x.shape
    rows = torch.arange(delta + 1, h - delta + 1, device=x.device)  # the loop's range(h - delta, delta, -1)
    cols = torch.arange(delta + 1, w - delta + 1, device=x.device)
    for _ in range(iterations):
        steps = (rand((b, 2, len(rows), len(cols)), generator, x.device) * 2 * delta).floor().long() - delta
        source_y = rows.view(1, -1, 1) + steps[:, 0]
        source_x = cols.view(1, 1, -1) + steps[:, 1]
        index = (source_y * w + source_x).reshape(b, 1, -1).expand(b, c, -1)
        moved = x.reshape(b, c, h * w).gather(2, index).reshape(b, c, len(rows), len(cols))
        x = x.clone()
        x[:, :, delta + 1 : h - delta + 1, delta + 1 : w - delta + 1] = moved
    return gaussian_blur(x, sigma).clamp(0, 1)


def motion_blur(x: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    radius, sigma = [(6, 1), (6, 1.5), (6, 2), (8, 2), (9, 2.5)][severity - 1]
    s = _scale(x)
    angle = uniform((x.shape[0],), -45, 45, generator, x.device)
    return blur_along(x, radius * s, sigma * s, angle).clamp(0, 1)


def zoom_blur(x: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    """The mean of the image and its centre zooms by 1, 1.01, ... (numpy's arange(1, top, 0.01), whose
    float rounding gives 7, 12, 16, 21, 26 zooms)."""
    top = [1.06, 1.11, 1.16, 1.21, 1.26][severity - 1]
    zooms = [1 + 0.01 * i for i in range(math.ceil((top - 1) / 0.01))]
    out = x.clone()
    for zoom in zooms:
        out += clipped_zoom(x, zoom)
    return (out / (len(zooms) + 1)).clamp(0, 1)
