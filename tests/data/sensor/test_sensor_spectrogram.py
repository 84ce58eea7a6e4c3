"""Log-power spectrograms: the paper's 1000 samples → 32×32, an independent NumPy check, and z-scoring."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from viewmaker_cli.data.sensor.spectrogram import (
    LOG_OFFSET,
    SpectrogramTransform,
    channel_stats,
    log_power_spectrogram,
    spectrogram_shape,
    standardise,
)


def test_pamap2_window_is_32_by_32() -> None:
    x = torch.randn(3, 52, 1000, generator=torch.Generator().manual_seed(0))
    spec = log_power_spectrogram(x, n_fft=63, hop_length=32)
    assert spec.shape == (3, 52, 32, 32) and spec.dtype == torch.float32
    assert spectrogram_shape(1000, 63, 32) == (32, 32)


@pytest.mark.parametrize(("length", "n_fft", "hop"), [(100, 15, 4), (64, 63, 32), (1001, 63, 32), (37, 8, 5)])
def test_shape_formula_matches_torch(length: int, n_fft: int, hop: int) -> None:
    spec = log_power_spectrogram(torch.randn(1, 2, length), n_fft, hop)
    assert spec.shape[-2:] == spectrogram_shape(length, n_fft, hop)


def test_matches_a_numpy_stft() -> None:
    """Reflect-pad n_fft // 2, periodic Hann, hop, |rfft|^2, natural log of (power + 1e-6): torchaudio's recipe."""
    signal = np.random.default_rng(1).normal(size=200)
    n_fft, hop = 63, 32
    padded = np.pad(signal, n_fft // 2, mode="reflect")
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    frames = [padded[i : i + n_fft] * window for i in range(0, len(padded) - n_fft + 1, hop)]
    expected = np.log(np.abs(np.fft.rfft(frames, axis=1)) ** 2 + LOG_OFFSET).T
    got = log_power_spectrogram(torch.tensor(signal, dtype=torch.float64).reshape(1, 1, -1), n_fft, hop)[0, 0]
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-9, atol=1e-9)


def test_channels_are_independent() -> None:
    x = torch.randn(2, 3, 128)
    whole = log_power_spectrogram(x, 15, 4)
    alone = log_power_spectrogram(x[:, 1:2], 15, 4)
    torch.testing.assert_close(whole[:, 1:2], alone)


def test_standardise_with_channel_stats() -> None:
    x = torch.randn(50, 4, 8, 9) * torch.tensor([1.0, 2.0, 5.0, 0.1]).reshape(1, 4, 1, 1) + 3
    mean, std = channel_stats(x)
    z = standardise(x, mean, std)
    torch.testing.assert_close(z.mean(dim=(0, 2, 3)), torch.zeros(4), atol=1e-5, rtol=0)
    torch.testing.assert_close(z.std(dim=(0, 2, 3), correction=0), torch.ones(4), atol=1e-5, rtol=0)


def test_constant_channel_does_not_divide_by_zero() -> None:
    x = torch.ones(5, 2, 10)
    assert torch.isfinite(standardise(x, *channel_stats(x))).all()


def test_transform_applies_given_constants() -> None:
    x = torch.randn(2, 2, 100)
    transform = SpectrogramTransform(15, 4, torch.tensor([1.0, -2.0]), torch.tensor([2.0, 4.0]))
    expected = (log_power_spectrogram(x, 15, 4) - torch.tensor([1.0, -2.0]).reshape(1, 2, 1, 1)) / torch.tensor(
        [2.0, 4.0]
    ).reshape(1, 2, 1, 1)
    torch.testing.assert_close(transform(x), expected)
    assert transform.shape(100) == (8, 25)
