"""The view grid (TensorBoard and `vmk views`) for images, speech log-mels, sensor spectrograms and raw series,
pixel by pixel against a slow reference (matplotlib's colormap called per pixel)."""

import matplotlib
import pytest
import torch

from viewmaker_cli.views.grid import view_grid

MAGMA = matplotlib.colormaps["magma"]


def panel(grid: torch.Tensor, row: int, column: int, h: int, w: int) -> torch.Tensor:
    return grid[:, row * h : (row + 1) * h, column * w : (column + 1) * w]


def views_of(x: torch.Tensor, n: int = 3) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    return [x + 0.3 * torch.randn(x.shape, generator=generator) for _ in range(n)]


def reference_map_pixel(original: torch.Tensor, shown: torch.Tensor, r: int, c: int) -> list[float]:
    """The colour of pixel (r, c) of a drawn map: `shown` [F, T] is scaled to the range of `original` [F, T]
    (the row's original), drawn with the lowest frequency (index 0) at the bottom."""
    lo, hi = original.min().item(), original.max().item()
    value = (shown[shown.shape[0] - 1 - r, c].item() - lo) / (hi - lo)
    index = round(min(max(value, 0.0), 1.0) * 255)
    return list(MAGMA(index)[:3])


def test_images_are_drawn_as_they_are_with_a_delta_heat_map():
    x = torch.rand(4, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    views = [v.clamp(0, 1) for v in views_of(x)]
    views[0][1] = x[1]  # no distortion for input 1: its heat map must be black
    grid = view_grid(x, views, "image")
    assert grid.shape == (3, 4 * 16, 5 * 16)
    for row in range(4):
        assert torch.equal(panel(grid, row, 0, 16, 16), x[row])
        assert torch.equal(panel(grid, row, 2, 16, 16), views[1][row])
    assert panel(grid, 1, 4, 16, 16).abs().max() == 0
    assert panel(grid, 0, 4, 16, 16).max() > 0


@pytest.mark.parametrize("modality, shape, factor", [("audio", (1, 64, 64), 1), ("sensor", (6, 8, 25), 4)])
def test_spectrograms_are_channel_means_in_a_colormap_low_frequencies_at_the_bottom(modality, shape, factor):
    x = torch.randn(3, *shape, generator=torch.Generator().manual_seed(0))
    views = views_of(x)
    grid = view_grid(x, views, modality)
    f, t = shape[1] * factor, shape[2] * factor
    assert grid.shape == (3, 3 * f, 5 * t)
    generator = torch.Generator().manual_seed(2)
    for row in range(3):
        original = x[row].mean(0)
        for column, shown in ((0, original), (1, views[0][row].mean(0)), (3, views[2][row].mean(0))):
            drawn = panel(grid, row, column, f, t)
            for r, c in torch.randint(0, min(f, t), (20, 2), generator=generator).tolist():
                expected = reference_map_pixel(original, shown, r // factor, c // factor)
                assert drawn[:, r, c].tolist() == pytest.approx(expected, abs=1e-6), (row, column, r, c)
        # The heat map: mean over channels of |delta| on one scale for the whole grid, brightest at its largest.
        delta = (views[0][row] - x[row]).abs().mean(0).flip(0)
        largest = max(float((views[0][k] - x[k]).abs().mean(0).max()) for k in range(3))
        red = panel(grid, row, 4, f, t)[0, ::factor, ::factor]
        assert torch.allclose(red, delta / largest, atol=1e-6)
    shared = view_grid(x, views, modality, delta_max=2 * largest)  # a scale given by the caller (figure frames)
    assert torch.allclose(panel(shared, 0, 4, f, t)[0, ::factor, ::factor],
                          (views[0][0] - x[0]).abs().mean(0).flip(0) / (2 * largest), atol=1e-6)


def test_raw_series_are_a_channels_by_time_map():
    x = torch.randn(2, 6, 100, generator=torch.Generator().manual_seed(0))
    views = views_of(x)
    grid = view_grid(x, views, "sensor")
    factor = 2  # 6 rows -> at least 32 would be 6x, but the 100 steps may only double to stay <= 256 wide
    assert grid.shape == (3, 2 * 6 * factor, 5 * 100 * factor)
    original = panel(grid, 1, 0, 6 * factor, 100 * factor)
    for r, c in [(0, 0), (5, 99), (3, 42)]:  # channel 0 on top: no flip for series
        expected = reference_map_pixel(x[1].flip(0), x[1].flip(0), r, c)
        assert original[:, r * factor, c * factor].tolist() == pytest.approx(expected, abs=1e-6)


def test_without_a_modality_inputs_stay_grey_for_callers_that_colour_them():
    x = torch.randn(2, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    grid = view_grid(x, views_of(x))
    body = grid[:, :, : 4 * 8]  # original and views; the heat map has its own colours
    assert torch.equal(body[0], body[1]) and torch.equal(body[1], body[2])
    assert body.min() >= 0 and body.max() <= 1
