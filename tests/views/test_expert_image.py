"""Expert image views: parameter distributions, each operation against its formula, range and shape."""

from __future__ import annotations

import math

import pytest
import torch

from viewmaker_cli.views.expert_image import CropFlipViews, SimCLRViews

N = 2000


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _close_to(frac: torch.Tensor, p: float, n: int = N) -> bool:
    """Within 4 binomial standard deviations of p."""
    return abs(frac.float().mean().item() - p) < 4 * math.sqrt(p * (1 - p) / n)


def _off(**kw) -> SimCLRViews:
    """SimCLR views with everything off except what `kw` turns on."""
    base = dict(crop_scale=(1.0, 1.0), jitter_p=0.0, gray_p=0.0, blur_p=0.0, flip_p=0.0)
    return SimCLRViews(**(base | kw))


def test_parameter_distributions_match_the_authors_settings():
    p = SimCLRViews().sample_params(N, 8, 8, _gen())
    assert ((p["area"] >= 0.2) & (p["area"] <= 1.0)).all()
    assert ((p["aspect"] >= 0.75 - 1e-6) & (p["aspect"] <= 4 / 3 + 1e-6)).all()
    assert (p["top"] >= 0).all() and (p["left"] >= 0).all()
    assert (p["top"] + p["height"] <= 8).all() and (p["left"] + p["width"] <= 8).all()
    assert (p["height"] >= 1).all() and (p["width"] >= 1).all()
    assert _close_to(p["gray"], 0.2) and _close_to(p["flip"], 0.5)
    assert _close_to(p["jitter"], 0.8) and _close_to(p["blur"], 0.5)
    ranges = {"brightness": (0.6, 1.4), "contrast": (0.6, 1.4), "saturation": (0.6, 1.4), "hue": (-0.1, 0.1)}
    for name, (lo, hi) in ranges.items():
        assert (p[name] >= lo).all() and (p[name] <= hi).all()
        assert p[name].min() < lo + 0.05 and p[name].max() > hi - 0.05  # spans the range
    assert ((p["sigma"] >= 0.1) & (p["sigma"] <= 2.0)).all()
    assert (p["jitter_order"].sort(dim=1).values == torch.arange(4)).all()  # permutations
    assert _close_to(p["jitter_order"][:, 0] == 2, 0.25)


def test_realised_crop_area_follows_the_scale():
    p = CropFlipViews(crop_scale=(0.2, 0.2)).sample_params(N, 32, 32, _gen())
    realised = p["height"] * p["width"] / (32 * 32)
    assert (realised - 0.2).abs().max() < 0.03  # integer rounding of w and h only


def test_output_in_unit_range_shape_kept_and_two_calls_differ():
    x = torch.rand(64, 3, 8, 8)
    views = SimCLRViews()
    g = _gen()
    a, b = views(x, g), views(x, g)
    assert a.shape == x.shape and a.dtype == x.dtype
    assert a.min() >= 0 and a.max() <= 1
    assert not torch.allclose(a, b)
    assert torch.equal(views(x, _gen(3)), views(x, _gen(3)))  # reproducible from the seed
    assert views(torch.rand(5, 1, 28, 28)).shape == (5, 1, 28, 28)
    assert SimCLRViews(size=16)(torch.rand(5, 3, 32, 32)).shape == (5, 3, 16, 16)


def test_everything_off_is_the_identity_and_flip_mirrors():
    x = torch.rand(16, 3, 8, 8)
    assert torch.allclose(_off()(x, _gen()), x, atol=1e-6)
    assert torch.allclose(_off(flip_p=1.0)(x, _gen()), x.flip(-1), atol=1e-6)
    views = _off(flip_p=0.5)
    p = views.sample_params(16, 8, 8, _gen(1))
    assert 0 < p["flip"].sum() < 16
    out = views.apply(x, p)
    want = torch.where(p["flip"].view(-1, 1, 1, 1), x.flip(-1), x)
    assert torch.allclose(out, want, atol=1e-6)


def test_grayscale_is_the_luma_on_all_three_channels():
    x = torch.rand(8, 3, 8, 8)
    out = _off(gray_p=1.0)(x, _gen())
    luma = 0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]
    for c in range(3):
        assert torch.allclose(out[:, c], luma, atol=1e-6)


def test_jitter_brightness_and_contrast_follow_their_formulas():
    x = torch.rand(32, 3, 8, 8)
    views = _off(jitter_p=1.0, jitter=(0.4, 0.0, 0.0, 0.0))
    p = views.sample_params(32, 8, 8, _gen())
    assert torch.allclose(views.apply(x, p), (x * p["brightness"].view(-1, 1, 1, 1)).clamp(0, 1), atol=1e-6)
    views = _off(jitter_p=1.0, jitter=(0.0, 0.4, 0.0, 0.0))
    p = views.sample_params(32, 8, 8, _gen())
    mean = (0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]).mean(dim=(1, 2)).view(-1, 1, 1, 1)
    c = p["contrast"].view(-1, 1, 1, 1)
    assert torch.allclose(views.apply(x, p), (c * x + (1 - c) * mean).clamp(0, 1), atol=1e-5)


def test_single_channel_jitter_is_brightness_and_contrast_only():
    x = torch.rand(N // 4, 1, 8, 8) * 0.5 + 0.25
    views = _off(jitter_p=1.0)
    p = views.sample_params(len(x), 8, 8, _gen())
    out = views.apply(x, p)
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1
    # Brightness then contrast, or contrast then brightness, per example's order.
    b, c = p["brightness"].view(-1, 1, 1, 1), p["contrast"].view(-1, 1, 1, 1)
    bc = lambda y: (c * y + (1 - c) * y.mean(dim=(1, 2, 3), keepdim=True)).clamp(0, 1)  # noqa: E731
    first_b = (p["jitter_order"] == 0).long().argmax(1) < (p["jitter_order"] == 1).long().argmax(1)
    want = torch.where(first_b.view(-1, 1, 1, 1), bc((x * b).clamp(0, 1)), (bc(x) * b).clamp(0, 1))
    assert torch.allclose(out, want, atol=1e-5)
    assert _close_to(first_b, 0.5, len(x))


def test_colour_jitter_changes_colour_and_is_per_example():
    x = torch.rand(N // 4, 3, 8, 8)
    views = _off(jitter_p=0.8)
    p = views.sample_params(len(x), 8, 8, _gen())
    changed = (views.apply(x, p) - x).abs().flatten(1).amax(1) > 1e-4
    assert torch.equal(changed, p["jitter"])


def test_blur_smooths_and_keeps_constants():
    views = _off(blur_p=1.0)
    const = torch.full((4, 3, 8, 8), 0.3)
    assert torch.allclose(views(const, _gen()), const, atol=1e-6)
    impulse = torch.zeros(64, 1, 9, 9)
    impulse[:, :, 4, 4] = 1.0
    p = views.sample_params(64, 9, 9, _gen())
    out = views.apply(impulse, p)
    # An exact Gaussian of sigma 0.1 px is almost a delta (the weight next door is e^-50).
    assert (out[p["sigma"] > 0.5, 0, 4, 4] < 0.9).all()
    # A wider sigma spreads more: the peak decreases with sigma.
    order = p["sigma"].argsort()
    assert (out[order, 0, 4, 4].diff() <= 1e-6).all()


def test_crop_flip_never_changes_colours():
    g = _gen()
    gray = torch.rand(64, 1, 8, 8).expand(-1, 3, -1, -1).contiguous()
    out = CropFlipViews()(gray, g)
    assert torch.allclose(out[:, 0], out[:, 1], atol=1e-6) and torch.allclose(out[:, 0], out[:, 2], atol=1e-6)
    x = torch.rand(64, 3, 8, 8)
    out = CropFlipViews()(x, g)
    # Bilinear resampling: every output pixel is a convex mix of the same channel's input pixels.
    lo, hi = x.amin(dim=(2, 3), keepdim=True), x.amax(dim=(2, 3), keepdim=True)
    assert (out >= lo - 1e-6).all() and (out <= hi + 1e-6).all()
    const = torch.rand(8, 3, 1, 1).expand(-1, -1, 8, 8)
    assert torch.allclose(CropFlipViews()(const, g), const, atol=1e-6)


def test_non_square_images_keep_boxes_inside():
    p = CropFlipViews().sample_params(N, 8, 40, _gen())
    assert (p["top"] + p["height"] <= 8).all() and (p["left"] + p["width"] <= 40).all()
    assert CropFlipViews()(torch.rand(3, 3, 8, 40)).shape == (3, 3, 8, 40)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        CropFlipViews(crop_scale=(0.0, 1.0))
    with pytest.raises(ValueError):
        SimCLRViews(jitter=(0.4, 0.4))
    with pytest.raises(ValueError):
        SimCLRViews()(torch.rand(2, 2, 8, 8))
