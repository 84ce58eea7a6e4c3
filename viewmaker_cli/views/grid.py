"""Originals beside several of their views and the |δ| heat map, as one RGB image tensor: what the TensorBoard
grid (training/view_grid.py) and `vmk views` (export/view_figure.py) draw.

What is drawn per modality (`modality=` of `view_grid`):
- image: the pixels as they are (RGB, or grey for one channel);
- audio / sensor spectrograms [C, F, T]: the mean over channels (sensor data has several), lowest frequency
  at the bottom, in the magma colormap scaled per row to the original's range; |δ| is the mean over
  channels of |view − original|, on one colour scale for the whole grid (0 to the largest |δ| in it, or
  `delta_max`), so that a small change looks small beside a large one;
- raw series [C, T]: a channels × time map in the same colormap.
Maps smaller than 32 pixels are enlarged (nearest neighbour) so that TensorBoard shows them legibly."""

from __future__ import annotations

import functools

import torch
from torch import Tensor

MIN_PX = 32  # enlarge maps to at least this many rows...
MAX_PX = 256  # ...as long as they stay this wide


def view_grid(x: Tensor, views: list[Tensor], modality: str | None = None, delta_max: float | None = None) -> Tensor:
    """[3, rows*H, cols*W] image in [0,1]: one row per input — original, views..., |δ| of the first view.

    With `modality` ("image", "audio", "sensor") each is drawn as the module docstring says. Without it the
    inputs are drawn in grey as given: images in [0,1] as they are, other inputs scaled per row to the
    original's range, a raw series [B, C, T] as a channels × time map, multi-channel inputs other than RGB
    by their first channel (callers that prepare their own maps rely on this). `delta_max`: the |δ| that gets
    the brightest colour (default: the largest in this grid); several grids drawn on one scale share it."""
    if modality is not None and modality != "image":
        return _map_grid(x, views, delta_max)
    if x.ndim == 3:
        x, views = x[:, None], [v[:, None] for v in views]
    heat = _heat(x, views[0], delta_max)  # in the inputs' own units, before any row is rescaled for display
    if x.min() < 0 or x.max() > 1:
        x, views = _scale_rows(x, views)
    return _grid(x, views, heat)


def _scale_rows(x: Tensor, views: list[Tensor]) -> tuple[Tensor, list[Tensor]]:
    """Each row scaled so that its original spans [0, 1]; its views get the same scale (and may leave it)."""
    lo = x.flatten(1).amin(1).view(-1, *(1,) * (x.ndim - 1))
    span = (x.flatten(1).amax(1).view(-1, *(1,) * (x.ndim - 1)) - lo).clamp_min(1e-6)
    return (x - lo) / span, [(v - lo) / span for v in views]


def delta_map(x: Tensor, view: Tensor) -> Tensor:
    """|view − x| averaged over channels [B, 1, H, W] (a raw series [B, C, T]: per channel, [B, 1, C, T])."""
    if x.ndim == 3:
        x, view = x[:, None], view[:, None]
    return (view - x).abs().mean(1, keepdim=True)


def heat_colours(delta: Tensor) -> Tensor:
    """|δ| in [0, 1] of the scale [B, 1, H, W] → its warm/cool RGB colours [B, 3, H, W] (0: black)."""
    delta = delta.clamp(0, 1)
    return torch.cat([delta, delta.sqrt() * 0.6, 1 - delta], 1) * delta.gt(0)


def _heat(x: Tensor, view: Tensor, scale: float | None = None) -> Tensor:
    """|δ| averaged over channels on one scale for the whole batch (0 to `scale`, default its maximum)."""
    delta = delta_map(x, view)
    top = scale if scale is not None else float(delta.max())
    return heat_colours(delta / max(top, 1e-8))


def _grid(x: Tensor, views: list[Tensor], heat: Tensor) -> Tensor:
    def rgb(t: Tensor) -> Tensor:
        return t.expand(-1, 3, -1, -1) if t.shape[1] == 1 else t[:, :3] if t.shape[1] >= 3 else t[:, :1].expand(-1, 3, -1, -1)

    columns = [rgb(x)] + [rgb(v) for v in views] + [heat]
    return _tile(columns)


def _tile(columns: list[Tensor]) -> Tensor:
    rows = torch.cat([c.clamp(0, 1) for c in columns], dim=3)  # [B, 3, H, cols*W]
    return torch.cat(list(rows), dim=1)  # [3, B*H, cols*W]


@functools.lru_cache(maxsize=4)
def colormap(name: str = "magma") -> Tensor:
    """The 256 RGB colours of a matplotlib colormap as a [256, 3] tensor."""
    import matplotlib
    import numpy as np

    return torch.from_numpy(matplotlib.colormaps[name](np.linspace(0, 1, 256))[:, :3]).float()


def apply_colormap(values: Tensor, name: str = "magma") -> Tensor:
    """[B, 1, H, W] in [0, 1] (clamped) → [B, 3, H, W] colours."""
    index = (values[:, 0].clamp(0, 1) * 255).round().long()
    return colormap(name).to(values.device)[index].permute(0, 3, 1, 2)


def _map_grid(x: Tensor, views: list[Tensor], delta_max: float | None = None) -> Tensor:
    """Spectrograms [B, C, F, T] (channel mean, low frequencies at the bottom) or series [B, C, T]."""
    if x.ndim == 3:  # a raw series: channels × time, channel 0 on top
        shown, shown_views = x[:, None], [v[:, None] for v in views]
        heat = _heat(x[:, None], views[0][:, None], delta_max)
    else:
        shown, shown_views = x.mean(1, keepdim=True).flip(2), [v.mean(1, keepdim=True).flip(2) for v in views]
        heat = _heat(x, views[0], delta_max).flip(2)  # mean over channels of |δ|, not |δ| of the mean
    shown, shown_views = _scale_rows(shown, shown_views)
    columns = [apply_colormap(shown)] + [apply_colormap(v) for v in shown_views] + [heat]
    h, w = shown.shape[-2:]
    factor = max(1, min(-(-MIN_PX // h), MAX_PX // w))
    if factor > 1:
        columns = [c.repeat_interleave(factor, 2).repeat_interleave(factor, 3) for c in columns]
    return _tile(columns)
