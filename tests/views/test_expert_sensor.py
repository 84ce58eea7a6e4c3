"""Sensor spectral masks: one band of each kind per example, shared by all channels; noise options."""

from __future__ import annotations

import pytest
import torch

from viewmaker_cli.data.sensor.pamap2 import PAPER_STDS
from viewmaker_cli.views.expert_sensor import SpectralMaskViews, band_mask, sample_bands


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_band_widths_and_starts_follow_nlpaug():
    p = sample_bands(4000, 32, 32, 20, _gen())
    for axis in ("freq", "time"):
        w, s = p[f"{axis}_width"], p[f"{axis}_start"]
        assert w.min() == 0 and w.max() == 19  # randint[0, 20)
        assert (s >= 0).all() and (s + w <= 31).all()  # start ~ randint[0, 32 - w)
    assert abs(p["freq_width"].float().mean().item() - 9.5) < 0.4


def test_widths_are_capped_below_a_small_axis():
    p = sample_bands(2000, 8, 25, 20, _gen())
    assert p["freq_width"].max() == 7 and (p["freq_start"] + p["freq_width"] <= 7).all()


def test_the_masked_band_is_the_same_in_every_channel():
    x = torch.randn(200, 52, 32, 32) + 10.0  # no natural zeros
    views = SpectralMaskViews()
    p = views.sample_params(200, 32, 32, _gen())
    out = views.apply(x, p)
    masked = out == 0
    assert (masked == masked[:, :1]).all()  # identical across channels
    assert torch.equal(masked[:, 0], band_mask(p, 32, 32)[:, 0])
    # Exactly one contiguous frequency band and one time band of the drawn widths.
    full_rows = masked[:, 0].all(dim=2).sum(1)
    full_cols = masked[:, 0].all(dim=1).sum(1)
    only_f = p["time_width"] < 32
    assert torch.equal(full_rows[only_f], p["freq_width"][only_f])
    assert torch.equal(full_cols, p["time_width"])
    assert torch.equal(out[~masked], x[~masked])


def test_two_calls_differ_and_dtype_is_kept():
    x = torch.randn(16, 6, 8, 25).half()
    views = SpectralMaskViews()
    g = _gen()
    a, b = views(x, g), views(x, g)
    assert a.dtype == torch.float16 and a.shape == x.shape
    assert not torch.equal(a, b)


def test_fixed_noise_is_in_z_units():
    x = torch.zeros(64, 4, 32, 32)
    out = SpectralMaskViews(max_width=1, noise_std=0.25)(x, _gen())  # max_width 1: widths are 0, no mask
    assert abs(out.std().item() - 0.25) < 0.005 and abs(out.mean().item()) < 0.005


def test_paper_noise_is_a_quarter_of_the_raw_feature_std_per_channel():
    x = torch.zeros(200, 52, 32, 32)
    out = SpectralMaskViews(max_width=1, noise_std="paper")(x, _gen())
    want = 0.25 * torch.tensor(PAPER_STDS)
    assert torch.allclose(out.std(dim=(0, 2, 3)), want, rtol=0.02)
    assert want.min() > 0.7 and want.max() < 1.9  # the unit trap: 0.75–1.9 sigma, not 0.25
    with pytest.raises(ValueError):
        SpectralMaskViews(noise_std="paper")(torch.zeros(2, 6, 8, 8))
    with pytest.raises(ValueError):
        SpectralMaskViews(noise_std="strong")
