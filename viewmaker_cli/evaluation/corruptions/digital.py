"""Digital corruptions of CIFAR-10-C (contrast, elastic, pixelate, JPEG), batched on the device.

Same contract as noise_blur.py.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional as F

from viewmaker_cli.evaluation.corruptions.filters import box_resize, gaussian_blur, uniform
from viewmaker_cli.evaluation.corruptions.jpeg import jpeg


def contrast(x: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    c = [0.75, 0.5, 0.4, 0.3, 0.15][severity - 1]
    means = x.mean((2, 3), keepdim=True)
    return ((x - means) * c + means).clamp(0, 1)


def _affine_sources(x: Tensor, spread: float, generator: torch.Generator) -> Tensor:
    """cv2.warpAffine's source coordinates [B, H, W, 2] (x, y) for a random affine map that moves three
    fixed points (around the centre) by U(-spread, spread) each."""
    b, _, h, w = x.shape
    centre = torch.tensor([w // 2, h // 2], dtype=torch.float32, device=x.device)
    square = min(h, w) // 3
    pts1 = torch.stack([centre + square, centre + torch.tensor([square, -square], device=x.device), centre - square])
    pts2 = pts1 + uniform((b, 3, 2), -spread, spread, generator, x.device)
    ones = torch.ones(3, 1, device=x.device)
    # Solve [p 1] A = p' for each example; invert, since warpAffine samples the source at M^-1 (dst).
    forward = torch.linalg.solve(torch.cat([pts1, ones], 1).expand(b, 3, 3), pts2)  # [B, 3, 2]
    matrix = torch.cat([forward.transpose(1, 2), torch.tensor([0.0, 0, 1], device=x.device).expand(b, 1, 3)], 1)
    inverse = torch.linalg.inv(matrix)
    ys, xs = torch.meshgrid(torch.arange(h, device=x.device), torch.arange(w, device=x.device), indexing="ij")
    points = torch.stack([xs, ys, torch.ones_like(xs)], -1).float().reshape(-1, 3)
    return torch.einsum("bij,pj->bpi", inverse[:, :2], points).reshape(b, h, w, 2)


def _sample(x: Tensor, sources: Tensor, align_corners: bool) -> Tensor:
    """Bilinear samples of x at pixel coordinates (x, y), reflected at the borders (align_corners=True:
    about the edge pixels' centres, as cv2's REFLECT_101; False: about the image edge, as scipy's reflect)."""
    h, w = x.shape[-2:]
    size = torch.tensor([w, h], device=x.device, dtype=torch.float32)
    grid = sources * 2 / (size - 1) - 1 if align_corners else (2 * sources + 1) / size - 1
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=align_corners)


def elastic_transform(x: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    """A random affine warp, then a smooth random displacement field (alpha x Gaussian-blurred noise).

    CIFAR-10-C's parameters (in units of the image side) shrink the affine part as severity grows while the
    local field grows."""
    side = min(x.shape[-2:])
    alpha, sigma, spread = [
        (0, 0, 0.08), (0.05, 0.2, 0.07), (0.08, 0.06, 0.06), (0.1, 0.04, 0.05), (0.1, 0.03, 0.03),
    ][severity - 1]
    alpha, sigma, spread = alpha * side, sigma * side, spread * side
    b, _, h, w = x.shape
    x = _sample(x, _affine_sources(x, spread, generator), align_corners=True)
    noise = uniform((b, 2, h, w), -1, 1, generator, x.device)
    field = gaussian_blur(noise, sigma, truncate=3, mode="reflect") * alpha  # [B, (dx, dy), H, W]
    ys, xs = torch.meshgrid(torch.arange(h, device=x.device), torch.arange(w, device=x.device), indexing="ij")
    sources = torch.stack([xs + field[:, 0], ys + field[:, 1]], -1)
    return _sample(x, sources, align_corners=False).clamp(0, 1)


def pixelate(x: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    """PIL BOX down to int(side x c), then BOX back up."""
    c = [0.95, 0.9, 0.85, 0.75, 0.65][severity - 1]
    h, w = x.shape[-2:]
    small = box_resize(x, int(h * c), int(w * c))
    return box_resize(small, h, w).clamp(0, 1)


def jpeg_compression(x: Tensor, severity: int, generator: torch.Generator) -> Tensor:
    return jpeg(x, [80, 65, 58, 50, 40][severity - 1])
