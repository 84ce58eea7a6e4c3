"""Batched image filters the corruptions share: Gaussian blur with scipy's border modes, one-sided motion blur,
clipped zoom, plasma fractals, PIL's box resize. Images are float [B, C, H, W] on any device."""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.nn import functional as F

from viewmaker_cli.views.random import rand


def uniform(shape: tuple[int, ...], low: float, high: float, generator: torch.Generator, device) -> Tensor:
    return low + (high - low) * rand(shape, generator, device)


def border_index(n: int, pad: int, mode: str, device) -> Tensor:
    """Source index of every position of a length-n axis padded by `pad` on both sides, as scipy.ndimage
    extends it: nearest (a a | a b c | c c), reflect (b a | a b c | c b), mirror (c b | a b c | b a)."""
    i = torch.arange(-pad, n + pad, device=device)
    if mode == "nearest":
        return i.clamp(0, n - 1)
    period = 2 * n if mode == "reflect" else max(2 * n - 2, 1)
    i = i.remainder(period)
    return torch.where(i < n, i, period - 1 - i if mode == "reflect" else period - i)


def gaussian_kernel1d(sigma: float, truncate: float, device) -> Tensor:
    radius = int(truncate * sigma + 0.5)
    x = torch.arange(-radius, radius + 1, device=device, dtype=torch.float32)
    k = torch.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def gaussian_blur(x: Tensor, sigma: float, truncate: float = 4.0, mode: str = "nearest") -> Tensor:
    """skimage.filters.gaussian over H and W of each channel (sigma 0: unchanged)."""
    if sigma <= 0:
        return x
    k = gaussian_kernel1d(sigma, truncate, x.device)
    r = (len(k) - 1) // 2
    b, c, h, w = x.shape
    rows = x.index_select(2, border_index(h, r, mode, x.device))
    out = F.conv2d(rows.reshape(b * c, 1, h + 2 * r, w), k.view(1, 1, -1, 1)).reshape(b, c, h, w)
    cols = out.index_select(3, border_index(w, r, mode, x.device))
    return F.conv2d(cols.reshape(b * c, 1, h, w + 2 * r), k.view(1, 1, 1, -1)).reshape(b, c, h, w)


def filter2d(x: Tensor, kernel: Tensor, mode: str = "mirror") -> Tensor:
    """Correlate every channel with one odd-sized 2-D kernel (cv2.filter2D; its default border is mirror)."""
    kh, kw = kernel.shape
    b, c, h, w = x.shape
    x = x.index_select(2, border_index(h, kh // 2, mode, x.device))
    x = x.index_select(3, border_index(w, kw // 2, mode, x.device))
    return F.conv2d(x.reshape(b * c, 1, *x.shape[2:]), kernel.to(x)[None, None]).reshape(b, c, h, w)


def motion_blur(x: Tensor, radius: float, sigma: float, angle_deg: Tensor) -> Tensor:
    """ImageMagick's MotionBlurImage: a one-sided Gaussian (width 2*ceil(radius)+1) along `angle_deg` [B],
    sampled at rounded integer offsets, edge pixels repeated."""
    width = int(2 * math.ceil(radius) + 1)
    i = torch.arange(width, device=x.device, dtype=torch.float32)
    weights = torch.exp(-(i**2) / (2 * sigma**2))
    weights = weights / weights.sum()
    theta = torch.deg2rad(angle_deg.float())
    b, c, h, w = x.shape
    ox = torch.ceil(i[None] * theta.cos()[:, None] - 0.5).long()  # [B, width]
    oy = torch.ceil(i[None] * theta.sin()[:, None] - 0.5).long()
    ys = torch.arange(h, device=x.device).view(1, h, 1)
    xs = torch.arange(w, device=x.device).view(1, 1, w)
    flat = x.reshape(b, c, h * w)
    out = torch.zeros_like(flat)
    for j in range(width):
        if weights[j] < 1e-6:  # the far tail of the Gaussian adds nothing visible
            break
        yy = (ys + oy[:, j].view(b, 1, 1)).clamp(0, h - 1)
        xx = (xs + ox[:, j].view(b, 1, 1)).clamp(0, w - 1)
        index = (yy * w + xx).reshape(b, 1, h * w).expand(b, c, h * w)
        out += weights[j] * flat.gather(2, index)
    return out.reshape(b, c, h, w)


def clipped_zoom(x: Tensor, zoom: float) -> Tensor:
    """Hendrycks' clipped_zoom: the centre ceil(n / zoom) crop, zoomed back (order-1 spline, i.e.
    align-corners bilinear) and trimmed to the original size."""
    h, w = x.shape[-2:]
    ch, cw = math.ceil(h / zoom), math.ceil(w / zoom)
    top, left = (h - ch) // 2, (w - cw) // 2
    crop = x[..., top : top + ch, left : left + cw]
    size = (round(ch * zoom), round(cw * zoom))
    zoomed = F.interpolate(crop, size=size, mode="bilinear", align_corners=True)
    th, tw = (size[0] - h) // 2, (size[1] - w) // 2
    return zoomed[..., th : th + h, tw : tw + w]


def plasma_fractal(batch: int, mapsize: int, wibbledecay: float, generator: torch.Generator, device) -> Tensor:
    """Diamond-square height maps [B, mapsize, mapsize] in [0, 1] (Hendrycks' plasma_fractal, batched);
    `mapsize` a power of two."""
    m = torch.zeros(batch, mapsize, mapsize, device=device)
    step, wibble = mapsize, 100.0

    def wibbled_mean(a: Tensor) -> Tensor:
        return a / 4 + wibble * uniform(tuple(a.shape), -wibble, wibble, generator, device)

    while step >= 2:
        half = step // 2
        corners = m[:, ::step, ::step]
        squares = corners + corners.roll(-1, 1)
        squares = squares + squares.roll(-1, 2)
        m[:, half::step, half::step] = wibbled_mean(squares)
        centres, corners = m[:, half::step, half::step], m[:, ::step, ::step]
        m[:, ::step, half::step] = wibbled_mean(centres + centres.roll(1, 1) + corners + corners.roll(-1, 2))
        m[:, half::step, ::step] = wibbled_mean(centres + centres.roll(1, 2) + corners + corners.roll(-1, 1))
        step, wibble = half, wibble / wibbledecay
    m = m - m.amin((1, 2), keepdim=True)
    return m / m.amax((1, 2), keepdim=True).clamp_min(1e-12)


def pil_box_matrix(n_in: int, n_out: int, device) -> Tensor:
    """PIL's BOX resampling along one axis as a [n_out, n_in] matrix (its coefficient rule, exactly)."""
    scale = n_in / n_out
    filterscale = max(scale, 1.0)
    support = 0.5 * filterscale
    matrix = torch.zeros(n_out, n_in, dtype=torch.float64)
    for out in range(n_out):
        centre = (out + 0.5) * scale
        low = max(int(centre - support + 0.5), 0)
        high = min(int(centre + support + 0.5), n_in)
        for src in range(low, high):
            t = (src - centre + 0.5) / filterscale
            matrix[out, src] = 1.0 if -0.5 < t <= 0.5 else 0.0
        matrix[out] /= matrix[out].sum().clamp_min(1e-12)
    return matrix.float().to(device)


def box_resize(x: Tensor, height: int, width: int) -> Tensor:
    rows = pil_box_matrix(x.shape[-2], height, x.device)
    cols = pil_box_matrix(x.shape[-1], width, x.device)
    return torch.einsum("oh,bchw,pw->bcop", rows, x, cols)


def luma(x: Tensor) -> Tensor:
    """Grey level [B, 1, H, W] (ITU-R 601 weights for RGB; the image itself when it has one channel)."""
    if x.shape[1] != 3:
        return x.mean(1, keepdim=True)
    return (0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]).unsqueeze(1)
