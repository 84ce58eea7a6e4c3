"""`vmk views ckpt=...`: the PNG grid and the animated GIF of a saved run's views, on image and sensor runs;
the figure's frames for every view family."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from PIL import Image

from viewmaker_cli.export.view_figure import COLORBAR_PX, GAP, HEADER_PX, figure_grids


def tile_size(h: int, w: int, tile_px: int, isotropic: bool) -> tuple[int, int]:
    sy, sx = math.ceil(tile_px / h), math.ceil(tile_px / w)
    if isotropic:
        sy = sx = max(sy, sx)
    return h * sy, w * sx


def figure_size(rows: int, columns: int, tile: tuple[int, int]) -> tuple[int, int]:
    # PIL: (width, height); the columns' names above the grid, the |delta| colour bar below it
    return columns * (tile[1] + GAP) - GAP, HEADER_PX + rows * (tile[0] + GAP) - GAP + COLORBAR_PX


def test_image_run_gives_a_png_grid_of_the_chosen_inputs_and_a_gif_of_fresh_views(ckpts, vmk, tmp_path):
    code, out, err = vmk("views", f"ckpt={ckpts['image']}", "n=3", "num_views=2", "frames=5", "seed=1",
                         f"hydra.run.dir={tmp_path}")
    assert code == 0, err
    record = json.loads((tmp_path / "views.json").read_text())
    columns = 2 + 2  # original, 2 views, |delta|
    tile = tile_size(32, 32, 96, isotropic=True)
    png = Image.open(tmp_path / "views.png")
    assert png.format == "PNG" and png.size == figure_size(3, columns, tile)
    pixels = np.asarray(png.convert("RGB")).astype(int)[HEADER_PX:]
    assert record["delta_max"] > 0 and record["columns"][-1] == "|delta| of view 1"

    # The first column shows exactly the test images named in views.json, enlarged.
    from viewmaker_cli.data import load_dataset

    test_x = load_dataset("fashion_mnist_subset").test_x
    assert len({r["index"] for r in record["rows"]}) == 3
    for row, entry in enumerate(record["rows"]):
        top = row * (tile[0] + GAP)
        shown = pixels[top : top + tile[0], : tile[1], 0]
        expected = test_x[entry["index"], 0].numpy().astype(int).repeat(tile[0] // 32, 0).repeat(tile[1] // 32, 1)
        assert np.array_equal(shown, expected), row
    views = pixels[:, tile[1] + GAP : 3 * (tile[1] + GAP)]
    assert views.std() > 0 and not np.array_equal(pixels[:, : tile[1]], views[:, : tile[1]])

    gif = Image.open(tmp_path / "views.gif")
    assert gif.format == "GIF" and gif.n_frames == 5 and gif.size == png.size and gif.info.get("loop") == 0
    frames = []
    for k in range(gif.n_frames):
        gif.seek(k)
        frames.append(np.asarray(gif.convert("RGB")).astype(int)[HEADER_PX:])
    originals = [f[:, : tile[1]] for f in frames]
    assert all(np.array_equal(originals[0], o) for o in originals)  # same inputs in every frame
    assert not np.array_equal(frames[0][:, tile[1] :], frames[1][:, tile[1] :])  # fresh views
    assert record["columns"] == ["original", "view 1", "view 2", "|delta| of view 1"] and record["frames"] == 5
    assert "views.png" in out


def test_sensor_run_draws_spectrograms_in_colour(ckpts, vmk, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = vmk("views", f"ckpt={ckpts['sensor']}", "n=2", "frames=3", "out=figure")
    assert code == 0, err
    out = tmp_path / "figure"
    # out=DIR holds the figures and nothing else: no outputs/DATE/TIME/ beside it, no .hydra/, no empty views.log
    assert [p.name for p in tmp_path.iterdir()] == ["figure"]
    assert sorted(p.name for p in out.iterdir()) == ["views.gif", "views.json", "views.png"]
    tile = tile_size(8, 25, 96, isotropic=False)  # 6 x 8 x 25 spectrograms: the channel mean, each axis enlarged
    png = Image.open(out / "views.png")
    assert png.size == figure_size(2, 5, tile)
    first = np.asarray(png.convert("RGB")).astype(int)[HEADER_PX : HEADER_PX + tile[0], : tile[1]]
    assert np.ptp(first, axis=2).max() > 0  # a colormap, not grey
    assert Image.open(out / "views.gif").n_frames == 3
    assert "mean over the 6 channels" in json.loads((out / "views.json").read_text())["drawn"]


@pytest.mark.parametrize("family, modality, shape", [
    ("learned", "image", (3, 12, 12)), ("combined", "image", (3, 12, 12)), ("expert", "image", (3, 12, 12)),
    ("noise", "image", (3, 12, 12)), ("expert", "sensor", (4, 8, 10)), ("learned", "sensor", (2, 30)),
])
def test_every_view_family_gives_frames_with_fixed_originals_and_fresh_views(family, modality, shape):
    from viewmaker_cli.export.view_figure import drawable
    from viewmaker_cli.views.families import build_views

    config = {"views": {"name": family, "expert": "auto", "width": 4, "num_res_blocks": 1},
              "modality": {"name": modality, "clamp": modality == "image"}, "budget": 0.1}
    view, _ = build_views(config, shape[0], len(shape) - 1, {})
    x = torch.rand(3, *shape)
    grids, delta_max = figure_grids(view.eval(), x, num_views=2, frames=2, seed=0, prepare=lambda t: drawable(t, modality))
    h, w = (shape[1], shape[2]) if len(shape) == 3 else (shape[0], shape[1])  # series: a channels x time map
    assert len(grids) == 2 and all(g.shape == (3, 3 * h, 4 * w) for g in grids)
    assert torch.equal(grids[0][:, :, :w], grids[1][:, :, :w])
    assert not torch.equal(grids[0][:, :, w : 3 * w], grids[1][:, :, w : 3 * w])
    again, same_max = figure_grids(view.eval(), x, num_views=2, frames=2, seed=0, prepare=lambda t: drawable(t, modality))
    assert all(torch.equal(a, b) for a, b in zip(grids, again)) and same_max == delta_max  # reproducible by seed
    # One |delta| scale for every row and frame: the brightest red of all heat maps is that of the largest |delta|.
    heat = torch.stack([g[0, :, 3 * w :] for g in grids])
    assert delta_max > 0 and float(heat.max()) == pytest.approx(1.0, abs=1e-6)
