"""Baseline JPEG compression and decompression as tensor ops (what PIL/libjpeg do at a given quality).

YCbCr (JFIF), 4:2:0 chroma subsampling for colour images, 8x8 DCT, the IJG quality-scaled Annex K tables,
rounding, then back. libjpeg's "fancy" chroma upsampling is a triangle filter, i.e. bilinear with
half-pixel centres. One-channel images are coded as greyscale (luminance only).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.nn import functional as F

LUMA = [
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
]  # fmt: skip
CHROMA = [
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
    47, 66, 99, 99, 99, 99, 99, 99, *[99] * 32,
]  # fmt: skip


def quant_table(base: list[int], quality: int, device) -> Tensor:
    """The IJG scaling of an Annex K table to `quality` (1..100), entries clamped to 1..255."""
    scale = 5000 / quality if quality < 50 else 200 - 2 * quality
    table = torch.tensor(base, dtype=torch.float64).mul(scale).add(50).div(100).floor().clamp(1, 255)
    return table.view(8, 8).float().to(device)


def dct_matrix(device) -> Tensor:
    n = torch.arange(8, dtype=torch.float64)
    d = torch.cos(math.pi * (2 * n[None] + 1) * n[:, None] / 16) * math.sqrt(2 / 8)
    d[0] /= math.sqrt(2)
    return d.float().to(device)  # orthonormal: JPEG's FDCT on 8x8 blocks


def _code_plane(plane: Tensor, table: Tensor) -> Tensor:
    """Quantise the DCT of every 8x8 block of [N, H, W] (sizes multiples of 8, values 0..255) and decode."""
    n, h, w = plane.shape
    d = dct_matrix(plane.device)
    blocks = (plane - 128).reshape(n, h // 8, 8, w // 8, 8)
    coefficients = torch.einsum("uy,nbyax,vx->nbuav", d, blocks, d)
    coefficients = torch.round(coefficients / table[None, None, :, None, :]) * table[None, None, :, None, :]
    blocks = torch.einsum("uy,nbuav,vx->nbyax", d, coefficients, d)
    return (blocks.reshape(n, h, w) + 128)


def _pad_to(x: Tensor, multiple: int) -> Tensor:
    """Repeat the last row and column up to a multiple (libjpeg's edge extension)."""
    h, w = x.shape[-2:]
    return F.pad(x, (0, -w % multiple, 0, -h % multiple), mode="replicate")


def jpeg(x: Tensor, quality: int) -> Tensor:
    """x float [B, C, H, W] in [0, 1] → the decoded JPEG of quality `quality`, in [0, 1]."""
    b, c, h, w = x.shape
    pixels = torch.round(x.clamp(0, 1) * 255)
    luma_table, chroma_table = quant_table(LUMA, quality, x.device), quant_table(CHROMA, quality, x.device)
    if c != 3:  # greyscale, channel by channel
        planes = _pad_to(pixels.reshape(b * c, 1, h, w), 8)[:, 0]
        out = _code_plane(planes, luma_table)[:, :h, :w].reshape(b, c, h, w)
        return (torch.round(out).clamp(0, 255) / 255)
    r, g, bl = pixels[:, 0], pixels[:, 1], pixels[:, 2]
    y = 0.299 * r + 0.587 * g + 0.114 * bl
    cb = -0.168736 * r - 0.331264 * g + 0.5 * bl + 128
    cr = 0.5 * r - 0.418688 * g - 0.081312 * bl + 128
    y = _code_plane(_pad_to(y[:, None], 16)[:, 0], luma_table)
    chroma = F.avg_pool2d(_pad_to(torch.stack([cb, cr], 1), 16), 2)  # 4:2:0
    chroma = _code_plane(chroma.reshape(b * 2, *chroma.shape[-2:]), chroma_table).reshape(b, 2, *chroma.shape[-2:])
    chroma = F.interpolate(chroma, scale_factor=2, mode="bilinear", align_corners=False)
    y, cb, cr = y[:, :h, :w], chroma[:, 0, :h, :w] - 128, chroma[:, 1, :h, :w] - 128
    rgb = torch.stack([y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb], 1)
    return torch.round(rgb).clamp(0, 255) / 255
