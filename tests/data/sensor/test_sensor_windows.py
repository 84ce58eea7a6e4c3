"""WindowSampler: windows lie inside one segment, carry its label, are balanced and reproducible per seed."""

from __future__ import annotations

import pytest
import torch

from viewmaker_cli.data.sensor.windows import WindowSampler
from viewmaker_cli.errors import UserError

# Segments of lengths 50, 10 (too short for a 20-sample window), 20 (exactly one window) and 300.
LENGTHS = [50, 10, 20, 300]
LABELS = [0, 1, 1, 2]


def segments() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Channel 0 holds each row's segment id, channel 1 its row index, so a window shows where it came from."""
    lengths = torch.tensor(LENGTHS)
    starts = torch.cumsum(lengths, 0) - lengths
    seg_id = torch.repeat_interleave(torch.arange(len(LENGTHS)), lengths).float()
    series = torch.stack([seg_id, torch.arange(int(lengths.sum())).float()])
    return series, starts, lengths, torch.tensor(LABELS)


def make(window: int = 20, **kw) -> WindowSampler:
    return WindowSampler(*segments(), window=window, device="cpu", **kw)


def test_windows_lie_inside_one_segment_and_carry_its_label() -> None:
    sampler = make()
    x, y = sampler.sample(2000, torch.Generator().manual_seed(0))
    assert x.shape == (2000, 2, 20) and x.dtype == torch.float32 and y.dtype == torch.int64
    seg = x[:, 0, 0].long()
    assert (x[:, 0] == x[:, 0, :1]).all(), "a window spans two segments"
    assert (x[:, 1].diff(dim=1) == 1).all(), "a window is not contiguous"
    assert (y == torch.tensor(LABELS)[seg]).all()
    assert not (seg == 1).any(), "the 10-sample segment cannot hold a 20-sample window"
    starts = torch.tensor([0, 50, 60, 80])
    lengths = torch.tensor(LENGTHS)
    offset = x[:, 1, 0].long() - starts[seg]
    assert (offset >= 0).all() and (offset + 20 <= lengths[seg]).all()
    # Every position is reachable: the exact-fit segment and both ends of the long one.
    assert (seg == 2).any() and set(offset[seg == 3].tolist()) >= {0, 280}


def test_classes_are_balanced_whatever_their_duration() -> None:
    _, y = make().sample(6000, torch.Generator().manual_seed(1))
    counts = torch.bincount(y, minlength=3).float() / 6000
    torch.testing.assert_close(counts, torch.full((3,), 1 / 3), atol=0.03, rtol=0)


def test_groups_balance_pairs() -> None:
    # Two groups with label 0: a short and a long segment get equal shares.
    series = torch.zeros(1, 1100)
    sampler = WindowSampler(series, torch.tensor([0, 100]), torch.tensor([100, 1000]), torch.tensor([0, 0]),
                            window=50, groups=torch.tensor([7, 8]))
    start, _ = sampler.positions(4000, torch.Generator().manual_seed(2))
    share = (start < 100).float().mean().item()
    assert abs(share - 0.5) < 0.04


def test_deterministic_per_seed_and_different_across_seeds() -> None:
    sampler = make()
    a, ya = sampler.sample(64, torch.Generator().manual_seed(5))
    b, yb = sampler.sample(64, torch.Generator().manual_seed(5))
    c, _ = sampler.sample(64, torch.Generator().manual_seed(6))
    assert torch.equal(a, b) and torch.equal(ya, yb) and not torch.equal(a, c)


def test_own_generator_advances_between_batches() -> None:
    sampler = make(generator=torch.Generator().manual_seed(3))
    first, _ = sampler.sample(32)
    second, _ = sampler.sample(32)
    assert not torch.equal(first, second)


def test_no_segment_long_enough() -> None:
    with pytest.raises(UserError, match="no segment holds a 400-sample window"):
        make(window=400)


def test_spectrograms_need_a_transform() -> None:
    x, _ = make().sample(2, torch.Generator().manual_seed(0))
    with pytest.raises(ValueError, match="without a spectrogram"):
        make().spectrograms(x)
