"""Labelled segments of a multichannel recording in one compact block: the prepared form of PAMAP2."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from viewmaker_cli.core.atomic import atomic_output
from viewmaker_cli.data.sensor.spectrogram import SpectrogramTransform
from viewmaker_cli.data.sensor.windows import WindowSampler


@dataclass(frozen=True)
class Segments:
    """Contiguous single-label stretches of series, concatenated along time.

    Segment `i` is `series[:, start[i] : start[i] + length[i]]`, with class `label[i]`, recorded by `group[i]`
    (for PAMAP2, the subject number).
    """

    series: np.ndarray  # float32 [C, total]
    start: np.ndarray  # int64 [S]
    length: np.ndarray  # int64 [S]
    label: np.ndarray  # int64 [S]
    group: np.ndarray  # int64 [S]

    @staticmethod
    def concat(parts: list[Segments]) -> Segments:
        """One block holding `parts` one after the other."""
        offsets = np.cumsum([0] + [p.series.shape[1] for p in parts[:-1]])
        return Segments(
            series=np.concatenate([p.series for p in parts], axis=1),
            start=np.concatenate([p.start + offset for p, offset in zip(parts, offsets, strict=True)]),
            length=np.concatenate([p.length for p in parts]),
            label=np.concatenate([p.label for p in parts]),
            group=np.concatenate([p.group for p in parts]),
        )

    def save(self, path: Path) -> None:
        """Write to `path` (.npz) atomically, so a crash never leaves a half-written file."""
        with atomic_output(path) as tmp:
            np.savez(tmp, **self.__dict__)

    @staticmethod
    def load(path: Path) -> Segments | None:
        """The segments saved at `path`, or None if it is missing or unreadable (prepare again)."""
        try:
            with np.load(path, allow_pickle=False) as stored:
                return Segments(**{key: stored[key] for key in ("series", "start", "length", "label", "group")})
        except (OSError, ValueError, KeyError):
            return None

    def sampler(
        self,
        window: int,
        device: torch.device | str = "cpu",
        seed: int | None = None,
        spectrogram: SpectrogramTransform | None = None,
    ) -> WindowSampler:
        """A WindowSampler over these segments on `device`, balanced over (group, label), seeded with `seed`."""
        generator = None
        if seed is not None:
            generator = torch.Generator(device=torch.device(device)).manual_seed(seed)
        return WindowSampler(
            torch.from_numpy(self.series),
            torch.from_numpy(self.start),
            torch.from_numpy(self.length),
            torch.from_numpy(self.label),
            window=window,
            device=device,
            groups=torch.from_numpy(self.group),
            spectrogram=None if spectrogram is None else _on(spectrogram, device),
            generator=generator,
        )


def _on(transform: SpectrogramTransform, device: torch.device | str) -> SpectrogramTransform:
    """The transform with its statistics moved to `device` once, not on every call."""
    return SpectrogramTransform(transform.n_fft, transform.hop_length, transform.mean.to(device), transform.std.to(device))
