"""Batched log-power spectrograms of multichannel series, on whatever device the series are on.

The authors' PAMAP2 pipeline (reference §3.3) is torchaudio's `Spectrogram(n_fft=63, hop_length=32, power=2)`
per channel, then `log(x + 1e-6)`, then a per-channel z-score. torchaudio is not a vmk dependency, so this is
the same computation with `torch.stft`: periodic Hann window of length n_fft, `center=True` with reflect
padding, one-sided, unnormalised, |X|^2. For 1000 samples: 63 // 2 + 1 = 32 bins and, after padding 31 samples
on each side, 1 + (1062 - 63) // 32 = 32 frames, so [B, 52, 1000] → [B, 52, 32, 32].
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

# The authors add 1e-6 before the natural log so silent bins stay finite.
LOG_OFFSET = 1e-6


def spectrogram_shape(length: int, n_fft: int, hop_length: int) -> tuple[int, int]:
    """(frequency bins, frames) of a centred one-sided STFT of `length` samples (padded n_fft // 2 per side)."""
    return n_fft // 2 + 1, 1 + (length + 2 * (n_fft // 2) - n_fft) // hop_length


def log_power_spectrogram(x: Tensor, n_fft: int = 63, hop_length: int = 32) -> Tensor:
    """`log(|STFT|^2 + 1e-6)` (natural log) of each channel of float `x` [B, C, T] → [B, C, *spectrogram_shape(T)]."""
    if x.ndim != 3:
        raise ValueError(f"expected series [B, C, T], got shape {tuple(x.shape)}")
    batch, channels, length = x.shape
    if length <= n_fft // 2:
        raise ValueError(f"series of {length} samples are too short for reflect padding with n_fft={n_fft}")
    window = torch.hann_window(n_fft, periodic=True, dtype=x.dtype, device=x.device)
    spec = torch.stft(
        x.reshape(batch * channels, length),
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=n_fft,
        window=window,
        center=True,
        pad_mode="reflect",
        normalized=False,
        onesided=True,
        return_complex=True,
    )
    # |X|^2 then log(. + 1e-6), in place: this is memory-bound and the pools are large on CPU.
    log_power = spec.real.square().addcmul_(spec.imag, spec.imag).add_(LOG_OFFSET).log_()
    return log_power.reshape(batch, channels, *log_power.shape[-2:])


def channel_stats(x: Tensor) -> tuple[Tensor, Tensor]:
    """Per-channel mean and std (population) of `x` [N, C, ...] over all other dims, as float32 [C]."""
    flat = x.transpose(0, 1).reshape(x.shape[1], -1).double()  # float64: sums over millions of values
    mean = flat.mean(dim=1)
    std = flat.std(dim=1, correction=0).clamp_min(1e-8)  # a constant channel must not divide by zero
    return mean.float(), std.float()


def standardise(x: Tensor, mean: Tensor, std: Tensor) -> Tensor:
    """(x - mean_c) / std_c for `x` [N, C, ...] and per-channel `mean`, `std` [C]."""
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return (x - mean.to(x).reshape(shape)) / std.to(x).reshape(shape)


@dataclass(frozen=True)
class SpectrogramTransform:
    """Series [B, C, T] → z-scored log-power spectrograms [B, C, F, frames], batched on x's device."""

    n_fft: int
    hop_length: int
    mean: Tensor  # float32 [C], statistics of the log spectrogram
    std: Tensor

    def __call__(self, x: Tensor) -> Tensor:
        return standardise(log_power_spectrogram(x, self.n_fft, self.hop_length), self.mean, self.std)

    def shape(self, length: int) -> tuple[int, int]:
        return spectrogram_shape(length, self.n_fft, self.hop_length)
