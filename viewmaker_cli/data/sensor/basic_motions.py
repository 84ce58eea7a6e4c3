"""BasicMotions (UEA archive), embedded: smart-watch accelerometer + gyroscope, 6 channels × 100 steps at 10 Hz.

Two registered forms of the same 40 train / 40 test cases (Standing, Running, Walking, Badminton):
- `basic_motions`: log spectrograms [N, 6, 8, 25] (n_fft 15 = 1.5 s, hop 4 = 0.4 s; the PAMAP2 path scaled to
  100-step series), z-scored per channel with training statistics;
- `basic_motions_raw`: the series [N, 6, 100], z-scored per channel with training statistics.
The Splits hold the full-length cases; `basic_motions_sampler` draws random sub-windows for training.
"""

from __future__ import annotations

from pathlib import Path

import torch

from viewmaker_cli.data.info import DatasetInfo
from viewmaker_cli.data.sensor.segments import Segments
from viewmaker_cli.data.sensor.spectrogram import SpectrogramTransform, channel_stats, log_power_spectrogram, standardise
from viewmaker_cli.data.sensor.ts_format import TsData, read_ts, ts_splits
from viewmaker_cli.data.sensor.windows import WindowSampler
from viewmaker_cli.data.splits import Splits
from viewmaker_cli.errors import UserError

EMBEDDED_DIR = Path(__file__).resolve().parent.parent / "embedded" / "basic-motions"
FILES = ("BasicMotions_TRAIN.ts", "BasicMotions_TEST.ts")
SAMPLE_RATE_HZ = 10
CHANNELS = ["acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"]
# 15 // 2 + 1 = 8 bins (0-5 Hz) × 1 + (100 + 14 - 15) // 4 = 25 frames; 1.5 s windows resolve walking/running cadence.
N_FFT, HOP_LENGTH = 15, 4
FORMS = ("spectrogram", "raw")


def read_basic_motions() -> tuple[TsData, TsData]:
    """The embedded train and test cases, float32 [40, 6, 100] each."""
    paths = [EMBEDDED_DIR / name for name in FILES]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise UserError(
            f"the embedded BasicMotions files are missing: {', '.join(missing)}; reinstall vmk "
            "(or fetch them again with scripts/fetch_basic_motions.py)"
        )
    train, test = (read_ts(p) for p in paths)
    if train.class_names != test.class_names or train.x.shape[1:] != test.x.shape[1:]:
        raise UserError(f"{paths[0]} and {paths[1]} disagree on classes or shapes; fetch both again")
    return train, test


def _splits(name: str, train: TsData, test: TsData, train_x, test_x, meta: dict) -> Splits:
    meta = {"channels": list(CHANNELS), "sample_rate_hz": SAMPLE_RATE_HZ, "citation": "UEA archive, arXiv:1811.00075", **meta}
    return ts_splits(name, train, test, train_x, test_x, str(EMBEDDED_DIR), meta)


def spectrogram_transform(train_series: torch.Tensor) -> SpectrogramTransform:
    """The log spectrogram z-scored with the statistics of the training cases' spectrograms."""
    mean, std = channel_stats(log_power_spectrogram(train_series, N_FFT, HOP_LENGTH))
    return SpectrogramTransform(N_FFT, HOP_LENGTH, mean, std)


def load_basic_motions(window: int = 80) -> Splits:
    """BasicMotions as z-scored log spectrograms, float32 [40, 6, 8, 25] per split. Pretraining draws random
    `window`-step crops of the training series (the sampler below); probes use the full series."""
    train, test = read_basic_motions()
    train_series, test_series = torch.from_numpy(train.x), torch.from_numpy(test.x)
    transform = spectrogram_transform(train_series)
    meta = {
        "form": "spectrogram",
        "n_fft": N_FFT,
        "hop_length": HOP_LENGTH,
        "spectrogram": "log(|STFT|^2 + 1e-6), periodic Hann, center=True, reflect padding",
        "normalisation": "train",
        "train_window": window,
        "norm_mean": transform.mean.tolist(),
        "norm_std": transform.std.tolist(),
    }
    return _splits("basic_motions", train, test, transform(train_series), transform(test_series), meta)


def load_basic_motions_raw(window: int = 80) -> Splits:
    """BasicMotions as series z-scored per channel with training statistics, float32 [40, 6, 100] per split."""
    train, test = read_basic_motions()
    train_series, test_series = torch.from_numpy(train.x), torch.from_numpy(test.x)
    mean, std = channel_stats(train_series)
    meta = {"form": "raw", "normalisation": "train", "train_window": window, "norm_mean": mean.tolist(), "norm_std": std.tolist()}
    return _splits(
        "basic_motions_raw", train, test, standardise(train_series, mean, std), standardise(test_series, mean, std), meta
    )


def basic_motions_sampler(
    form: str = "raw", window: int = 100, device: torch.device | str = "cpu", seed: int = 0
) -> WindowSampler:
    """Random `window`-step crops of the training cases (each case is one segment), class-balanced.

    `form="raw"`: `sample` gives the z-scored series [B, 6, window]. `form="spectrogram"`: `sample` gives the
    unnormalised series and `spectrograms(x)` the model input [B, 6, 8, 1 + (window - 1) // 4].
    """
    if form not in FORMS:
        raise UserError(f"unknown BasicMotions form {form!r}; use one of {', '.join(FORMS)}")
    train, _ = read_basic_motions()
    series = torch.from_numpy(train.x)
    transform = None
    if form == "raw":
        series = standardise(series, *channel_stats(series))
    else:
        transform = spectrogram_transform(series)
    count, channels, length = series.shape
    segments = Segments(
        series=series.permute(1, 0, 2).reshape(channels, count * length).numpy(),
        start=(torch.arange(count) * length).numpy(),
        length=torch.full((count,), length).numpy(),
        label=train.y,
        group=torch.arange(count).numpy(),  # one group per case: every case is drawn equally often
    )
    return segments.sampler(window, device=device, seed=seed, spectrogram=transform)


# The datasets this module reads (data/catalog.py lists them by name).
DATASETS = (
    DatasetInfo(
        name="basic_motions",
        modality="sensor",
        description="BasicMotions (UEA), embedded: 40 train / 40 test, 4 activities, 6 channels x 100 steps "
        "at 10 Hz, as 6x8x25 log spectrograms",
        loader=load_basic_motions,
        embedded=True,
        sampler=lambda root, device, seed, splits, options: basic_motions_sampler("spectrogram", options.get("window", 80), device, seed),
    ),
    DatasetInfo(
        name="basic_motions_raw",
        modality="sensor",
        description="BasicMotions (UEA), embedded: 40 train / 40 test, 4 activities, raw 6 x 100 series "
        "(for 1-D models)",
        loader=load_basic_motions_raw,
        embedded=True,
        sampler=lambda root, device, seed, splits, options: basic_motions_sampler("raw", options.get("window", 80), device, seed),
    ),
)
