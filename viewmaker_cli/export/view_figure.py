"""The paper's Figure 1 for a saved run: each row an input, then several of its views, then the |δ| heat map
of the first view, as RGB grids (views/grid.py's layout), and those grids as PNG and GIF frames.

What is drawn: images as images; a front end that turns stored examples into the encoder's input (speech
stored as waveforms) is applied first, so its log-mels are drawn; spectrograms are drawn with the lowest
frequency at the bottom, and those with several channels (sensor) as the mean over channels, the heat map
then being |δ| of that mean; raw series [C, T] as a channels × time map. Non-image inputs get a colormap."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from viewmaker_cli.core.progress import track
from viewmaker_cli.views.grid import delta_map, heat_colours, view_grid

GAP = 2  # pixels between tiles
HEADER_PX = 18  # the band above the grid with the columns' names
COLORBAR_PX = 34  # the band below it with the |delta| colour bar


def drawable(t: Tensor, modality: str) -> Tensor:
    """What is drawn of a batch: images as they are; spectrograms [B, C, F, T] (not images) with the lowest
    frequency at the bottom and C > 1 channels as their mean; raw series [B, C, T] as they are."""
    if modality == "image" or t.ndim != 4:
        return t
    return t.mean(1, keepdim=True).flip(2)


@torch.no_grad()
def figure_grids(
    view: Callable[[Tensor], Tensor], x: Tensor, num_views: int, frames: int, seed: int,
    prepare: Callable[[Tensor], Tensor],
) -> tuple[list[Tensor], float]:
    """`frames` grids [3, H, W] in [0,1], each of `x` beside `num_views` fresh views, reproducible by `seed`
    and without touching the global random stream, and the |δ| their heat maps' brightest colour stands for:
    one scale for every row and frame. `prepare` maps inputs and views to what is drawn."""
    frames_views = []
    with torch.random.fork_rng(devices=[x.device] if x.device.type == "cuda" else []):
        torch.manual_seed(seed)
        drawn = prepare(x).float().cpu()
        for _ in track(range(frames), f"drawing {num_views} views of {len(x)} inputs", unit="frame"):
            # One call for all views: the view families draw their randomness per example.
            views = view(x.repeat(num_views, *(1,) * (x.ndim - 1))).float().chunk(num_views)
            frames_views.append([prepare(v).float().cpu() for v in views])
    delta_max = max(float(delta_map(drawn, views[0]).max()) for views in frames_views)
    return [view_grid(drawn, views, delta_max=delta_max) for views in frames_views], delta_max


def colorize(rgb: np.ndarray, columns: int, cmap: str) -> np.ndarray:
    """Give the input and view columns of a grid [H, W, 3] a colormap where view_grid drew them in grey (the
    heat map, the last column, keeps its own colours)."""
    import matplotlib

    body = rgb[:, : rgb.shape[1] * (columns - 1) // columns]
    if np.ptp(body, axis=2).max() > 1e-6:  # already in colour
        return rgb
    out = rgb.copy()
    out[:, : body.shape[1]] = matplotlib.colormaps[cmap](body[..., 0])[..., :3]
    return out


def grid_image(grid: Tensor, rows: int, columns: int, tile_px: int, cmap: str | None, isotropic: bool) -> Image.Image:
    """A grid as an RGB image, each tile enlarged (nearest neighbour) to at least `tile_px` on each side;
    `isotropic` keeps the tiles' aspect ratio (images), otherwise each axis is enlarged on its own."""
    h, w = grid.shape[1] // rows, grid.shape[2] // columns
    rgb = grid.permute(1, 2, 0).clamp(0, 1).numpy()
    if cmap is not None:
        rgb = colorize(rgb, columns, cmap)
    sy, sx = math.ceil(tile_px / h), math.ceil(tile_px / w)
    if isotropic:
        sy = sx = max(sy, sx)
    pixels = (rgb * 255).round().astype(np.uint8).repeat(sy, axis=0).repeat(sx, axis=1)
    # A white gap between tiles, so that neighbouring rows and columns do not run into each other.
    tiles = pixels.reshape(rows, h * sy, columns, w * sx, 3)
    tiles = np.pad(tiles, ((0, 0), (0, GAP), (0, 0), (0, GAP), (0, 0)), constant_values=255)
    return Image.fromarray(tiles.reshape(rows * (h * sy + GAP), columns * (w * sx + GAP), 3)[:-GAP, :-GAP])


def annotate(image: Image.Image, headers: list[str], delta_max: float) -> Image.Image:
    """The grid with its columns' names above it and, below the heat-map column, the colour bar of |δ| from 0
    to `delta_max` (the one scale of every row)."""
    from PIL import ImageDraw, ImageFont

    font = ImageFont.load_default()
    width, height = image.size
    out = Image.new("RGB", (width, HEADER_PX + height + COLORBAR_PX), "white")
    out.paste(image, (0, HEADER_PX))
    draw = ImageDraw.Draw(out)
    tile_w = (width + GAP) // len(headers) - GAP
    for k, text in enumerate(headers):
        left = k * (tile_w + GAP)
        draw.text((left + tile_w / 2, HEADER_PX / 2), text, fill="black", font=font, anchor="mm")
    left, top = (len(headers) - 1) * (tile_w + GAP), HEADER_PX + height + 4
    ramp = heat_colours(torch.linspace(0, 1, tile_w).view(1, 1, 1, tile_w))[0].permute(1, 2, 0).numpy()
    bar = Image.fromarray((ramp * 255).round().astype(np.uint8).repeat(10, axis=0))
    out.paste(bar, (left, top))
    draw.rectangle((left - 1, top - 1, left + tile_w, top + 10), outline="black")
    draw.text((left, top + 12), "0", fill="black", font=font, anchor="la")
    draw.text((left + tile_w, top + 12), f"{delta_max:.3g}", fill="black", font=font, anchor="ra")
    return out


def save_png(image: Image.Image, path) -> None:
    image.save(path, format="PNG")


def save_gif(images: list[Image.Image], path, frame_ms: int) -> None:
    """An endless loop with one palette for all frames and no dithering, so that what stays the same (the
    originals) does not flicker. Pillow merges a frame identical to the one before it into a longer frame."""
    width, height = images[0].size
    sheet = Image.new("RGB", (width, height * len(images)))
    for k, image in enumerate(images):
        sheet.paste(image, (0, k * height))
    palette = sheet.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    frames = [image.quantize(palette=palette, dither=Image.Dither.NONE) for image in images]
    frames[0].save(path, format="GIF", save_all=True, append_images=frames[1:], duration=frame_ms, loop=0)
