"""Audio files → prepared `Splits`: decode with soundfile, crop/pad to a fixed length, log-mel in batches
through the torch front end, z-score with the dataset's constants, store fp16 [N, 1, n_mels, n_mels]."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from viewmaker_cli.core.device import pick_device
from viewmaker_cli.core.progress import track
from viewmaker_cli.data.speech.frontend import CLIP_SAMPLES, N_FFT, fixed_length, hop_length, log_mel
from viewmaker_cli.data.speech.loader import ClipOptions
from viewmaker_cli.data.speech.normalize import zscore
from viewmaker_cli.data.splits import Splits
from viewmaker_cli.errors import UserError

BATCH = 64  # clips per front-end call: bounds memory at ~40 MB of 150,526-sample waveforms


def decode(path: Path, sample_rate: int) -> np.ndarray:
    """One file as float32 mono samples; channels are averaged, and the rate must be `sample_rate`
    (the method never resamples: reference §3.2)."""
    try:
        samples, rate = sf.read(path, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, OSError) as error:
        raise UserError(f"cannot decode {path} ({error}); replace the file or remove it from the dataset") from error
    if rate != sample_rate:
        raise UserError(f"{path} is sampled at {rate} Hz, expected {sample_rate} Hz; use the dataset's original files")
    return samples.mean(axis=1)


def prepare(
    paths: Sequence[Path],
    sample_rate: int,
    stats: tuple[float, float],
    description: str,
    clip_samples: int = CLIP_SAMPLES,
    n_mels: int = 64,
    crop_side: str = "head",
    generator: torch.Generator | None = None,
    device: torch.device | None = None,
    waveform: bool = False,
) -> torch.Tensor:
    """Decode `paths` (threads: libsndfile releases the GIL) and return z-scored fp16 log-mels on the CPU,
    or with `waveform` the fixed-length fp16 clips [N, 1, clip_samples] (the front end then runs on the
    device, after time-domain views)."""
    device = device or pick_device("auto")
    hop = hop_length(clip_samples, n_mels)
    shape = (1, clip_samples) if waveform else (1, n_mels, n_mels)
    out = torch.empty(len(paths), *shape, dtype=torch.float16)
    batch: list[np.ndarray] = []
    done = 0

    def flush() -> None:
        nonlocal done
        waves = fixed_length(batch, clip_samples, crop_side, generator).to(device)
        features = waves.unsqueeze(1) if waveform else zscore(log_mel(waves, sample_rate, n_mels, N_FFT, hop), *stats)
        out[done : done + len(batch)] = features.half().cpu()
        done += len(batch)
        batch.clear()

    def waves(pool: ThreadPoolExecutor):
        # One batch of files in flight at a time: map() submits everything it is given at once.
        for start in range(0, len(paths), BATCH):
            chunk = paths[start : start + BATCH]
            yield from pool.map(decode, chunk, [sample_rate] * len(chunk))

    with ThreadPoolExecutor(min(8, os.cpu_count() or 1)) as pool:
        for wave in track(waves(pool), description, total=len(paths), unit="file"):
            batch.append(wave)
            if len(batch) == BATCH:
                flush()
        if batch:
            flush()
    return out


def build_splits(
    name: str,
    source: Path,
    train: tuple[Sequence[Path], Sequence[int]],
    test: tuple[Sequence[Path], Sequence[int]],
    class_names: list[str],
    sample_rate: int,
    stats: tuple[float, float],
    clips: ClipOptions,
    meta: dict | None = None,
) -> Splits:
    """Prepare both splits. Test clips always keep their head; training clips use `clips.crop_side`
    ("random" draws head or tail per clip from a generator seeded with `clips.seed`)."""
    common = dict(sample_rate=sample_rate, stats=stats, clip_samples=clips.clip_samples, n_mels=clips.n_mels, waveform=clips.waveform)
    generator = torch.Generator().manual_seed(clips.seed)
    train_x = prepare(train[0], description=f"{name}: train", crop_side=clips.crop_side, generator=generator, **common)
    test_x = prepare(test[0], description=f"{name}: test", crop_side="head", **common)
    mean, std = stats
    return Splits(
        name=name,
        modality="audio",
        train_x=train_x,
        train_y=torch.tensor(list(train[1]), dtype=torch.int64),
        test_x=test_x,
        test_y=torch.tensor(list(test[1]), dtype=torch.int64),
        num_classes=len(class_names),
        class_names=class_names,
        source=str(source.resolve()),
        meta={
            "mean": mean, "std": std, "sample_rate": sample_rate, "hop_length": hop_length(clips.clip_samples, clips.n_mels),
            "n_fft": N_FFT, "n_mels": clips.n_mels, "clip_samples": clips.clip_samples, "crop_side": clips.crop_side,
            "seed": clips.seed, "waveform": clips.waveform,
            **(meta or {}),
        },  # fmt: skip
    )
