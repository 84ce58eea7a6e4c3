"""Shared fixtures for the speech tests: an empty $VMK_DATA and a writer of tiny audio files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf


@pytest.fixture(autouse=True)
def vmk_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Keep this machine's datasets out of sight: $VMK_DATA is an empty temporary folder."""
    home = tmp_path / "vmk-data"
    monkeypatch.setenv("VMK_DATA", str(home))
    return home


def tone(samples: int, sample_rate: int, freq: float, seed: int = 0) -> np.ndarray:
    """A sine at `freq` Hz plus a little noise, so every mel band has energy."""
    t = np.arange(samples) / sample_rate
    noise = np.random.default_rng(seed).normal(0, 0.01, samples)
    return (0.5 * np.sin(2 * np.pi * freq * t) + noise).astype(np.float32)


@pytest.fixture
def write_audio() -> Callable[..., Path]:
    """write_audio(path, samples, sample_rate, freq=440) → path: a mono WAV or FLAC (by suffix)."""

    def write(path: Path, samples: int, sample_rate: int = 16_000, freq: float = 440.0, seed: int = 0) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, tone(samples, sample_rate, freq, seed), sample_rate, subtype="PCM_16")
        return path

    return write
