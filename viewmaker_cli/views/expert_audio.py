"""Expert speech views, batched on the device (method reference §3.2).

- `SpecAugmentViews`: the authors' "Spec." views on the z-scored log-mel tensors vmk stores.
- `TimeDomainViews`: their "Time" views on raw waveforms (crop + white noise; gain and a
  speed-based pitch change as options), followed by the log-mel front end and the z-score.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from viewmaker_cli.data.speech.frontend import AMIN, N_FFT, TOP_DB, log_mel
from viewmaker_cli.data.speech.normalize import zscore
from viewmaker_cli.views.expert_sensor import band_mask, sample_bands
from viewmaker_cli.views.random import rand as _rand
from viewmaker_cli.views.random import randn as _randn

_DB_MIN = 10.0 * math.log10(AMIN)  # −100: power_to_db of an all-zero power mel before the top_db clip


class SpecAugmentViews(nn.Module):
    """One frequency and one time mask on the power mel, then N(0, noise_std) in z units.

    Input: z-scored log-mels [B, 1, n_mels, T] (`(power_to_db(S²) − mean) / std`, the dataset's
    `mean`, `std` from `data.speech.normalize.DATASET_STATS`); output: same shape, float32.

    The authors mask the power mel S *before* the log (nlpaug, width ~ randint[0, 40), start ~
    randint[0, size − width)). Setting S = 0 on a band is done here on the stored dB values, using:
    power_to_db(S², top_db=80) = max(10·log10(max(S², 1e-10)), peak − 80) with peak the example's
    maximum. A zeroed bin gives 10·log10(1e-10) = −100, clipped to the new floor, so masked bins
    become max(peak' − 80, −100) where peak' is the maximum over the *unmasked* bins; unmasked bins
    keep their values. This is exact whenever the loudest bin is not masked. When it is, peak'
    < peak and bins that sat at the old floor would in truth lie anywhere in [new floor, old floor]:
    they keep the old floor (their original value is lost in the stored tensor).
    The noise (0.25 × the dataset std in dB in their code) is 0.25 in z units, added after the
    log, before the z-score, i.e. everywhere including the masked bands.
    """

    def __init__(self, n_mels: int | None = 64, max_width: int = 40, noise_std: float = 0.25, *,
                 mean: float, std: float):  # fmt: skip
        super().__init__()
        if max_width < 1:
            raise ValueError(f"max_width must be >= 1, got {max_width}")
        self.n_mels, self.max_width, self.noise_std = n_mels, int(max_width), float(noise_std)
        self.mean, self.std = float(mean), float(std)

    def sample_params(self, batch: int, n_mels: int, n_frames: int, generator=None, device="cpu") -> dict[str, Tensor]:
        """Band starts and widths [B]: `freq_start`, `freq_width`, `time_start`, `time_width`."""
        return sample_bands(batch, n_mels, n_frames, self.max_width, generator, device)

    def floor_value(self, x: Tensor, mask: Tensor) -> Tensor:
        """The z-scored value of a masked bin per example [B, 1, 1, 1] (see the class docstring)."""
        db = x.float() * self.std + self.mean
        peak = db.masked_fill(mask, -math.inf).amax(dim=(1, 2, 3), keepdim=True)
        return (torch.clamp(peak - TOP_DB, min=_DB_MIN) - self.mean) / self.std

    def apply(self, x: Tensor, params: dict[str, Tensor], generator: torch.Generator | None = None) -> Tensor:
        """Mask `x` with `params`; the noise is drawn here from `generator`."""
        if x.ndim != 4 or x.shape[1] != 1 or (self.n_mels is not None and x.shape[2] != self.n_mels):
            raise ValueError(f"expected log-mels [B, 1, {self.n_mels or 'n_mels'}, T], got {tuple(x.shape)}")
        mask = band_mask(params, x.shape[-2], x.shape[-1])
        out = torch.where(mask, self.floor_value(x, mask), x.float())
        if self.noise_std > 0:
            out = out + self.noise_std * _randn(tuple(out.shape), generator, x.device)
        return out

    def forward(self, x: Tensor, generator: torch.Generator | None = None) -> Tensor:
        return self.apply(x, self.sample_params(x.shape[0], x.shape[-2], x.shape[-1], generator, x.device), generator)


def white_noise(batch: int, length: int, generator=None, device="cpu") -> Tensor:
    """The authors' AudioNoiseAug(scale=1): irfft of a real N(0, 1) spectrum → [B, length].

    White, zero-phase (time-symmetric) noise with per-sample std ≈ 1/√length; for an odd length
    their spectrum has one extra bin and the last sample is dropped, as here.
    """
    bins = length // 2 + 1 + length % 2
    spectrum = _randn((batch, bins), generator, device)
    return torch.fft.irfft(spectrum, dim=-1)[:, :length]


def speed_change(x: Tensor, rate: Tensor, lengths: Tensor) -> Tensor:
    """Read each waveform `rate` times faster ([B] factors), linear interpolation, same length.

    out[t] = x[t·rate] for t·rate ≤ len − 1, else 0. Pitch and tempo change together (resampling,
    not a phase-vocoder pitch shift); rates > 1 are not low-passed, so they alias a little.
    """
    n = x.shape[-1]
    pos = torch.arange(n, device=x.device, dtype=torch.float32).view(1, -1) * rate.view(-1, 1)
    i0 = pos.floor().long().clamp(max=n - 1)
    frac = pos - i0
    i1 = (i0 + 1).clamp(max=n - 1)
    out = x.gather(1, i0) * (1.0 - frac) + x.gather(1, i1) * frac
    return out.masked_fill(pos > (lengths.view(-1, 1) - 1), 0.0)


class TimeDomainViews(nn.Module):
    """The authors' "Time" views: waveform ops in a random order per example, then log-mel + z-score.

    Input: waveforms [B, L] on the device (float, at `sample_rate`; `fixed_length` output), and
    optionally `lengths` [B] (long, ≤ L): each clip's true length before zero-padding. Output:
    z-scored log-mels [B, 1, n_mels, T], T = 1 + L // hop (hop=None: `hop_length(L, n_mels)`).

    - crop: keep a contiguous segment of int(U(crop)·len) samples at its own position, zero the
      rest (no time-stretch); start ~ randint[0, len − size).
    - noise (`noise=True`, or a float scale): `white_noise` × scale, std ≈ scale/√len.
    - gain_db=(lo, hi): ×10^(g/20), g ~ U(lo, hi) dB (nlpaug's LoudnessAug draws an amplitude
      factor ~ U(0.5, 2), about ±6 dB). Off by default, as in the authors' code.
    - pitch=(lo, hi) semitones: `speed_change` at rate 2^(s/12) — a batched stand-in for nlpaug's
      PitchAug (librosa pitch_shift, default ±10): it also changes the tempo. Off by default.
    The authors apply these to the unpadded clip, then cut/pad to the fixed length. Here the clip
    is already padded: with `lengths` the crop and noise act on the true clip only (the noise is
    rescaled to std ≈ 1/√len; its time symmetry is about L, not len); without, on all L samples.
    """

    OPS = ("crop", "gain", "noise", "pitch")  # the authors' list order, shuffled per example

    def __init__(self, sample_rate: int, n_mels: int = 64, hop: int | None = None, *, mean: float, std: float,
                 crop: tuple[float, float] | None = (0.08, 1.0), noise: bool | float = True,
                 gain_db: tuple[float, float] | None = None, pitch: tuple[float, float] | None = None,
                 n_fft: int = N_FFT, to_logmel: bool = True):  # fmt: skip
        super().__init__()
        if crop is not None and not 0.0 < crop[0] <= crop[1] <= 1.0:
            raise ValueError(f"crop must satisfy 0 < low <= high <= 1, got {crop}")
        self.sample_rate, self.n_mels, self.hop, self.n_fft = sample_rate, n_mels, hop, n_fft
        # False: return the augmented waveforms and leave the front end to the encoder's input transform
        # (`data.speech.frontend.LogMelFrontend`), which is how training on stored waveforms uses them.
        self.to_logmel = to_logmel
        self.mean, self.std = float(mean), float(std)
        self.crop, self.gain_db, self.pitch = crop, gain_db, pitch
        self.noise_scale = float(noise) if not isinstance(noise, bool) else (1.0 if noise else 0.0)
        enabled = {"crop": crop is not None, "gain": gain_db is not None, "noise": self.noise_scale > 0,
                   "pitch": pitch is not None}  # fmt: skip
        self.ops = tuple(op for op in self.OPS if enabled[op])

    def sample_params(self, batch: int, length: int, generator=None, device="cpu", lengths: Tensor | None = None):
        """Per-example `lengths`, `crop_start`, `crop_size` (long [B]), `gain` (amplitude factor),
        `rate` (speed factor) [B], and `order` [B, len(self.ops)]: op indices into `self.ops`."""
        n = torch.full((batch,), length, device=device) if lengths is None else lengths.to(device).long()
        u = _rand((batch, 4 + len(self.ops)), generator, device)
        lo, hi = self.crop or (1.0, 1.0)
        size = torch.floor((lo + (hi - lo) * u[:, 0]) * n).long().clamp(max=n)
        start = torch.floor(u[:, 1] * (n - size)).long()
        g_lo, g_hi = self.gain_db or (0.0, 0.0)
        p_lo, p_hi = self.pitch or (0.0, 0.0)
        return {
            "lengths": n,
            "crop_start": start,
            "crop_size": size,
            "gain": 10.0 ** ((g_lo + (g_hi - g_lo) * u[:, 2]) / 20.0),
            "rate": 2.0 ** ((p_lo + (p_hi - p_lo) * u[:, 3]) / 12.0),
            "order": torch.argsort(u[:, 4:], dim=1),
        }

    def augment(self, waves: Tensor, params: dict[str, Tensor], generator: torch.Generator | None = None) -> Tensor:
        """The waveform ops only → [B, L] (noise drawn here from `generator`)."""
        x = waves.float()
        b, length = x.shape
        t = torch.arange(length, device=x.device).view(1, -1)
        n = params["lengths"].view(-1, 1)
        start, size = params["crop_start"].view(-1, 1), params["crop_size"].view(-1, 1)
        keep = (t >= start) & (t < start + size)
        noise = None
        if "noise" in self.ops:
            # Their noise has the clip's own length: std 1/√len, nothing over the padding.
            noise = white_noise(b, length, generator, x.device) * (self.noise_scale * (length / n.float()).sqrt())
            noise = noise.masked_fill(t >= n, 0.0)
        ops = {
            "crop": lambda y: y * keep,
            "gain": lambda y: y * params["gain"].view(-1, 1),
            "noise": lambda y: y + noise,
            "pitch": lambda y: speed_change(y, params["rate"], params["lengths"]),
        }
        order = params["order"]
        for step in range(len(self.ops)):
            # Every example runs the op its permutation puts at this step; each op is computed
            # for the whole batch and selected with where (no data-dependent indexing, no sync).
            nxt = x
            for k, name in enumerate(self.ops):
                nxt = torch.where((order[:, step] == k).view(-1, 1), ops[name](x), nxt)
            x = nxt
        return x

    def apply(self, waves: Tensor, params: dict[str, Tensor], generator: torch.Generator | None = None) -> Tensor:
        spec = log_mel(self.augment(waves, params, generator), self.sample_rate, self.n_mels, self.n_fft, self.hop)
        return zscore(spec, self.mean, self.std)

    def forward(self, waves: Tensor, generator: torch.Generator | None = None, lengths: Tensor | None = None) -> Tensor:
        """Waveforms [B, L] (or [B, 1, L]) → log-mel views, or waveform views of the input's shape."""
        shape = waves.shape
        if waves.ndim == 3 and shape[1] == 1:
            waves = waves.flatten(1)
        if waves.ndim != 2:
            raise ValueError(f"expected waveforms [B, L] or [B, 1, L], got {tuple(shape)}")
        params = self.sample_params(waves.shape[0], waves.shape[1], generator, waves.device, lengths)
        if not self.to_logmel:
            return self.augment(waves, params, generator).reshape(shape)
        return self.apply(waves, params, generator)
