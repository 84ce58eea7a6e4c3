"""The speech front end, batched on torch: fixed-length clips → log-mel spectrograms [B, 1, n_mels, T].

It reproduces the authors' librosa pipeline (method reference §3.2) in float32, on the GPU when the
waveforms are on one: a Hann-windowed STFT with n_fft 2048, center=True and *reflect* padding (librosa
≤ 0.9's default; librosa ≥ 0.10 pads with zeros, so the reference is pinned here explicitly), power 2,
a Slaney mel filterbank from fmin 0 to sr/2, then their dB quirk: `power_to_db(S**2, ref=1, amin=1e-10,
top_db=80)` on the *squared* power mel, with top_db taken from each example's own maximum.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import torch

CLIP_SAMPLES = 150_526  # the authors' fixed length: ≈9.41 s at 16 kHz
N_FFT = 2048
# The authors' hops for 150,526 samples: with center=True, 1 + 150526 // hop = n_mels frames exactly.
HOPS = {32: 4800, 64: 2360, 112: 1344, 224: 672}
AMIN = 1e-10  # power_to_db's floor on S**2 (so S is floored at 1e-5)
TOP_DB = 80.0  # in the doubled units of S**2, i.e. a 40 dB range of the power mel


def fixed_length(
    waves: torch.Tensor | Sequence[torch.Tensor | np.ndarray],
    length: int = CLIP_SAMPLES,
    side: str = "head",
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Crop or zero-pad each clip to `length` samples → float32 [B, length].

    Longer clips keep their first (`side="head"`) or last (`"tail"`) `length` samples; `"random"` picks
    head or tail per clip, 50/50, from `generator` (the authors' training crop; evaluation keeps the head).
    Shorter clips are zero-padded at the end. `waves` is a [B, L] tensor or a list of 1-D clips.
    """
    if side not in ("head", "tail", "random"):
        raise ValueError(f"side must be 'head', 'tail' or 'random', not {side!r}")
    if isinstance(waves, torch.Tensor) and waves.ndim != 2:
        raise ValueError(f"expected waveforms [B, L], got {tuple(waves.shape)}")
    rows = [torch.as_tensor(w).reshape(-1).float() for w in waves]
    n = len(rows)
    if side == "random":
        # Drawn on the CPU so a seeded generator gives the same sides whatever the device.
        tails = torch.randint(0, 2, (n,), generator=generator).bool().tolist()
    else:
        tails = [side == "tail"] * n
    device = rows[0].device if rows else torch.device("cpu")
    out = torch.zeros(n, length, dtype=torch.float32, device=device)
    for i, (row, tail) in enumerate(zip(rows, tails, strict=True)):
        if len(row) > length:
            row = row[-length:] if tail else row[:length]
        out[i, : len(row)] = row
    return out


def hop_length(clip_samples: int, n_mels: int) -> int:
    """The hop giving exactly `n_mels` frames (square inputs): the authors' table for 150,526 samples,
    else `clip_samples // (n_mels - 1)` (e.g. 16,000 samples, 64 mels → 253)."""
    if clip_samples == CLIP_SAMPLES and n_mels in HOPS:
        return HOPS[n_mels]
    hop = clip_samples // (n_mels - 1)
    if hop < 1 or 1 + clip_samples // hop != n_mels:
        raise ValueError(f"no hop gives {n_mels} frames for {clip_samples} samples; use longer clips")
    return hop


@functools.lru_cache(maxsize=16)
def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int, device: str = "cpu") -> torch.Tensor:
    """librosa's Slaney mel filterbank [n_mels, 1 + n_fft // 2] (float32), cached per device."""
    import librosa  # deferred: its import is slow and only preparation needs it

    weights = librosa.filters.mel(
        sr=sample_rate, n_fft=n_fft, n_mels=n_mels, fmin=0.0, fmax=sample_rate / 2, htk=False, norm="slaney"
    )
    return torch.from_numpy(np.asarray(weights, dtype=np.float32)).to(device)


def power_to_db_squared(mel: torch.Tensor) -> torch.Tensor:
    """The authors' `librosa.power_to_db(mel**2, ref=1, amin=1e-10, top_db=80)` per example [B, ...]."""
    db = 10.0 * torch.log10(torch.clamp(mel * mel, min=AMIN))  # ref=1 subtracts 10*log10(1) = 0
    peak = db.flatten(1).amax(dim=1).view(-1, *([1] * (db.ndim - 1)))
    return torch.maximum(db, peak - TOP_DB)


def log_mel(
    waves: torch.Tensor, sample_rate: int, n_mels: int = 64, n_fft: int = N_FFT, hop: int | None = None
) -> torch.Tensor:
    """Log-mel spectrograms [B, 1, n_mels, T] in the authors' doubled dB units, float32.

    `hop=None` picks `hop_length(L, n_mels)`, so T == n_mels. Runs on `waves`' device.
    """
    if waves.ndim != 2:
        raise ValueError(f"expected waveforms [B, L], got {tuple(waves.shape)}")
    waves = waves.float()
    if hop is None:
        hop = hop_length(waves.shape[-1], n_mels)
    window = torch.hann_window(n_fft, periodic=True, dtype=torch.float32, device=waves.device)  # scipy's 'hann'
    spec = torch.stft(
        waves, n_fft, hop_length=hop, win_length=n_fft, window=window,
        center=True, pad_mode="reflect", normalized=False, onesided=True, return_complex=True,
    )  # fmt: skip
    power = spec.abs().pow(2)  # [B, 1 + n_fft // 2, T]
    mel = torch.matmul(mel_filterbank(sample_rate, n_fft, n_mels, str(waves.device)), power)
    return power_to_db_squared(mel).unsqueeze(1)


class LogMelFrontend(torch.nn.Module):
    """Waveforms [B, 1, L] → z-scored log-mels [B, 1, n_mels, T], on the waveforms' device.

    The encoder's input transform when speech is stored as waveforms (`data.options.waveform=true`): the
    views then act on the waveform (time-domain views, or a 1-D viewmaker) and this runs on every view,
    as the authors' pipeline runs the front end after their "Time" views. Always float32: under bf16
    autocast the mel matmul and the log would lose the low end of the 40 dB range."""

    def __init__(self, sample_rate: int, n_mels: int, n_fft: int, hop: int, mean: float, std: float):
        super().__init__()
        self.sample_rate, self.n_mels, self.n_fft, self.hop = int(sample_rate), int(n_mels), int(n_fft), int(hop)
        self.mean, self.std = float(mean), float(std)

    @classmethod
    def from_meta(cls, meta: dict) -> "LogMelFrontend":
        """From a speech dataset's `Splits.meta` (or the copy a checkpoint keeps)."""
        return cls(meta["sample_rate"], meta["n_mels"], meta["n_fft"], meta["hop_length"], meta["mean"], meta["std"])

    def encoder_input(self, channels: int, dims: int) -> tuple[int, int]:
        """Channels and spatial dims of what the encoder sees: one-channel 2-D spectrograms."""
        return 1, 2

    def forward(self, waves: torch.Tensor) -> torch.Tensor:
        with torch.autocast(waves.device.type, enabled=False):
            spec = log_mel(waves.flatten(1).float(), self.sample_rate, self.n_mels, self.n_fft, self.hop)
        return (spec - self.mean) / self.std
