"""Expert sensor views: one frequency and one time mask per example, shared by all channels.

The authors' PAMAP2 "spectral" views (method reference §3.3): nlpaug FrequencyMaskingAug and
TimeMaskingAug with mask_factor 20 on the z-scored log spectrogram laid out (freq, time, channel),
so one band of each kind covers every channel. Width ~ randint[0, 20), start ~ randint[0, size −
width) (nlpaug's draw, so a band never touches the last row/column); masked values are set to 0,
the channel mean after z-scoring. `spectral_noise` adds N(0, (0.25·FEATURE_STD_c)²) per channel.

The band sampler and mask here are also the masks of the audio SpecAugment views.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from viewmaker_cli.views.random import rand as _rand
from viewmaker_cli.views.random import randn as _randn

NOISE_SCALE = 0.25  # the authors' factor on FEATURE_STDS (raw log units) in `spectral_noise`


def sample_bands(
    batch: int, n_freq: int, n_time: int, max_width: int, generator=None, device="cpu"
) -> dict[str, Tensor]:
    """One frequency and one time band per example, nlpaug's way: width ~ randint[0, max_width),
    start ~ randint[0, size − width). Returns long tensors [B]: `freq_start`, `freq_width`,
    `time_start`, `time_width`.

    nlpaug raises when max_width ≥ size (e.g. 32 mels with max_width 40, or BasicMotions' 8 bins
    with 20); here the width is drawn from randint[0, min(max_width, size)) instead.
    """
    u = _rand((batch, 4), generator, device)
    out = {}
    for i, (axis, size) in enumerate((("freq", n_freq), ("time", n_time))):
        width = torch.floor(u[:, 2 * i] * min(max_width, size)).long()
        start = torch.floor(u[:, 2 * i + 1] * (size - width)).long()
        out[f"{axis}_width"], out[f"{axis}_start"] = width, start
    return out


def band_mask(params: dict[str, Tensor], n_freq: int, n_time: int) -> Tensor:
    """Boolean mask [B, 1, F, T]: True inside the example's frequency band or its time band."""
    dev = params["freq_start"].device
    f = torch.arange(n_freq, device=dev).view(1, -1)
    t = torch.arange(n_time, device=dev).view(1, -1)
    in_f = (f >= params["freq_start"].view(-1, 1)) & (f < (params["freq_start"] + params["freq_width"]).view(-1, 1))
    in_t = (t >= params["time_start"].view(-1, 1)) & (t < (params["time_start"] + params["time_width"]).view(-1, 1))
    return in_f[:, None, :, None] | in_t[:, None, None, :]


def paper_noise_std() -> Tensor:
    """The authors' `spectral_noise` std per PAMAP2 channel in z units: 0.25 × FEATURE_STDS, 0.75–1.9.

    Their FEATURE_STDS are in raw log units but the noise is added to already z-scored data
    (reference §7.10), so this is far stronger than the 0.25 σ it looks like.
    """
    from viewmaker_cli.data.sensor.pamap2 import PAPER_STDS  # deferred: only this option needs PAMAP2

    return NOISE_SCALE * torch.tensor(PAPER_STDS, dtype=torch.float32)


class SpectralMaskViews(nn.Module):
    """Spectral masks on z-scored sensor spectrograms [B, C, F, T] → same shape and dtype.

    `noise_std`:
    - None: the authors' `spectral` views (masks only; the better one in their Table 3, 74.6 vs 71.0);
    - "paper": their `spectral_noise`, faithful: N(0, (0.25·FEATURE_STD_c)²) per channel, i.e.
      0.75–1.9 z units on PAMAP2's 52 channels (the unit trap of reference §7.10);
    - a float: the fix, the same std in z units on every channel (0.25 is what they meant);
    - a sequence/tensor [C]: any per-channel std in z units.
    The noise is added after masking, so masked bins are noisy too, as in the authors' code.
    """

    def __init__(self, max_width: int = 20, noise_std: None | str | float | Sequence[float] | Tensor = None,
                 mask_value: float = 0.0):  # fmt: skip
        super().__init__()
        if max_width < 1:
            raise ValueError(f"max_width must be >= 1, got {max_width}")
        self.max_width = int(max_width)
        self.mask_value = float(mask_value)
        if isinstance(noise_std, str):
            if noise_std != "paper":
                raise ValueError(f"noise_std must be None, 'paper', a float or per-channel stds, got {noise_std!r}")
            noise_std = paper_noise_std()
        # A buffer (1 value or one per channel) so that module.to(device) moves it with the module.
        std = None if noise_std is None else torch.as_tensor(noise_std, dtype=torch.float32).reshape(-1)
        self.register_buffer("noise_std", std, persistent=False)

    def sample_params(self, batch: int, n_freq: int, n_time: int, generator=None, device="cpu") -> dict[str, Tensor]:
        """Band starts and widths [B] (see `sample_bands`)."""
        return sample_bands(batch, n_freq, n_time, self.max_width, generator, device)

    def apply(self, x: Tensor, params: dict[str, Tensor], generator: torch.Generator | None = None) -> Tensor:
        """Mask `x` with `params`; the noise (if any) is drawn here from `generator`."""
        if x.ndim != 4:
            raise ValueError(f"expected spectrograms [B, C, F, T], got {tuple(x.shape)}")
        mask = band_mask(params, x.shape[-2], x.shape[-1])  # [B, 1, F, T]: broadcast over channels
        out = x.float().masked_fill(mask, self.mask_value)
        if self.noise_std is not None:
            if self.noise_std.numel() not in (1, x.shape[1]):
                raise ValueError(f"noise_std has {self.noise_std.numel()} channels, the data {x.shape[1]}")
            std = self.noise_std.to(x.device).view(1, -1, 1, 1)  # a no-op once the module is on x's device
            out = out + std * _randn(tuple(out.shape), generator, x.device)
        return out.to(x.dtype)

    def forward(self, x: Tensor, generator: torch.Generator | None = None) -> Tensor:
        return self.apply(x, self.sample_params(x.shape[0], x.shape[-2], x.shape[-1], generator, x.device), generator)
