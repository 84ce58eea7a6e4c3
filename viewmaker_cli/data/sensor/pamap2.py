"""PAMAP2 (Reiss & Stricker 2012) as the paper uses it: 52-channel 10 s windows → 52×32×32 log spectrograms.

Two forms (reference §3.3, §7.18):
- `pamap2_sampler(root, split, device, seed)`: fresh random windows per batch, drawn on the device, for
  pretraining (the authors draw 10,000 new windows per epoch).
- `load_pamap2(...)` → Splits for probes: a fixed, seeded pool of windows per split as z-scored spectrograms.
  `test` holds the evaluation subject: 105 ("val", the split the paper reports) by default.
`pamap2_one_participant` is the few-label setting (§4.2): its training windows come from subject 101 only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch

from viewmaker_cli.core.device import pick_device
from viewmaker_cli.core.progress import track
from viewmaker_cli.data.info import DatasetInfo
from viewmaker_cli.data.sensor import pamap2_files as files
from viewmaker_cli.data.sensor.segments import Segments
from viewmaker_cli.data.sensor.spectrogram import SpectrogramTransform, channel_stats, log_power_spectrogram
from viewmaker_cli.data.sensor.windows import WindowSampler
from viewmaker_cli.data.splits import Splits
from viewmaker_cli.errors import UserError

# Participants of each split (subject101.dat is participant 1), as in the authors' code.
SPLIT_SUBJECTS = {"train": [1, 2, 3, 4, 7, 8, 9], "one_participant": [1], "val": [5], "test": [6]}
WINDOW = 1000  # samples: 10 s at 100 Hz
N_FFT, HOP_LENGTH = 63, 32  # → 32 frequency bins × 32 frames for a 1000-sample window
TRAIN_WINDOWS, EVAL_WINDOWS = 10_000, 2_000  # the authors' epoch is 10,000 windows; their val pass 50,000
# Seeds of the fixed window pools; the evaluation pool differs from the training one.
TRAIN_SEED, EVAL_SEED = 0, 1
CHUNK = 500  # windows per STFT batch when building the pools (bounds the float32 working set)

# The authors' per-channel mean and std of the log spectrogram (`FEATURE_MEANS` / `FEATURE_STDS` in
# viewmaker:src/datasets/pamap2.py), in CHANNELS order; applied after log(x + 1e-6).
PAPER_MEANS = [
    -10.12912214, -11.29261799, 0.67638378, 0.81824769, 0.75297834, -0.35109685, 0.04085698, -0.38876906,
    -2.48238567, -3.41956712, -3.3872513, 1.36282383, 1.55308991, 1.56087922, -10.76128503, -10.35194776,
    -10.44513743, -10.37285293, -11.23690636, -0.20944169, 0.56012058, 0.807821, -1.45611818, -0.35643357,
    -0.25041446, -2.76965766, -3.24698013, -3.85922755, 1.1442057, 1.46386916, 1.51837609, -11.07261072,
    -11.14997687, -11.13951721, -11.12178224, -11.29449096, 1.94817929, 2.33591061, 1.97720141, 0.91686234,
    1.53700002, 0.88543364, -1.64330728, -2.63160618, -2.51725697, 1.42671659, 1.6363767, 1.65463002,
    -10.68715032, -10.14333333, -10.40543887, -10.2161264,
]  # fmt: skip
PAPER_STDS = [
    7.52822918, 6.7065013, 3.95108152, 3.95592566, 3.42002526, 4.64231584, 4.44694546, 4.16510321,
    3.71419447, 3.21044202, 3.59042373, 3.39598192, 3.24402304, 3.26736989, 4.84615018, 4.85592083,
    4.75026502, 5.0713948, 6.76148597, 3.16121415, 4.10307909, 3.42466748, 3.91835069, 4.63133192,
    4.12213119, 3.21565752, 3.00317751, 3.04138402, 2.96988045, 3.30489875, 3.05622836, 4.66155384,
    4.38560602, 4.45703007, 4.35220719, 6.72132295, 4.49144193, 4.40899389, 3.80700876, 5.15785846,
    4.82611255, 4.45424858, 3.65129909, 3.15463525, 3.965269, 3.46149886, 3.22442971, 3.17674841,
    4.71934308, 5.41595717, 4.97243856, 5.33158206,
]  # fmt: skip
NORMALISATIONS = ("paper", "train")


def _subjects(split: str) -> list[int]:
    if split not in SPLIT_SUBJECTS:
        raise UserError(f"unknown PAMAP2 split {split!r}; known: {', '.join(SPLIT_SUBJECTS)}")
    return SPLIT_SUBJECTS[split]


def locate(root: str | None, splits: tuple[str, ...] = ("train", "val", "test")) -> Path | None:
    """The Protocol folder holding every file `splits` need, or None."""
    return files.find_protocol_dir(root, sorted({s for split in splits for s in _subjects(split)}))


def pamap2_segments(root: str | Path | None, split: str) -> Segments:
    """The interpolated single-activity segments of `split`'s participants (cached after the first read)."""
    subjects = _subjects(split)
    directory = files.find_protocol_dir(root, subjects)
    if directory is None:
        raise files.not_found(root, subjects)
    return files.load_segments(directory, subjects)


def paper_transform() -> SpectrogramTransform:
    """The authors' spectrogram: n_fft 63, hop 32, log(x + 1e-6), z-scored with their constants."""
    return SpectrogramTransform(N_FFT, HOP_LENGTH, torch.tensor(PAPER_MEANS), torch.tensor(PAPER_STDS))


def pamap2_sampler(
    root: str | Path | None = None,
    split: str = "train",
    device: torch.device | str = "cpu",
    seed: int = 0,
    *,
    window: int = WINDOW,
    norm_mean: list[float] | None = None,
    norm_std: list[float] | None = None,
) -> WindowSampler:
    """Fresh class-balanced windows of `split` on `device`: `sample(B)` → x [B, 52, window], y [B].

    `spectrograms(x)` gives the model input [B, 52, 32, 32]. Pass the Splits' `meta["norm_mean"]` and
    `meta["norm_std"]` so pretraining and probes share one normalisation; without them the authors' constants.
    """
    transform = paper_transform()
    if (norm_mean is None) != (norm_std is None):
        raise ValueError("give both norm_mean and norm_std, or neither")
    if norm_mean is not None:
        transform = SpectrogramTransform(N_FFT, HOP_LENGTH, torch.tensor(norm_mean), torch.tensor(norm_std))
    return pamap2_segments(root, split).sampler(window, device=device, seed=seed, spectrogram=transform)


def window_pool(segments: Segments, count: int, seed: int, window: int, what: str) -> tuple[torch.Tensor, torch.Tensor]:
    """`count` seeded windows of `segments` as log spectrograms (not yet z-scored) [count, 52, F, T], labels.

    Windows are drawn on the CPU, so a seed gives the same pool on every machine; the STFTs run on the GPU
    when there is one. The pool is filled in place: at paper size it is 2.1 GB of float32.
    """
    sampler = segments.sampler(window, device="cpu", seed=seed)
    compute = pick_device("auto")
    bins, frames = paper_transform().shape(window)
    specs = torch.empty(count, sampler.num_channels, bins, frames)
    labels = torch.empty(count, dtype=torch.int64)
    for first in track(range(0, count, CHUNK), f"PAMAP2: {what} spectrograms", unit="chunk"):
        x, y = sampler.sample(min(CHUNK, count - first))
        specs[first : first + len(y)] = log_power_spectrogram(x.to(compute), N_FFT, HOP_LENGTH).cpu()
        labels[first : first + len(y)] = y
    return specs, labels


def _standardise_(x: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """z-score `x` [N, C, F, T] per channel in place (a copy would double the 2.1 GB training pool)."""
    return x.sub_(mean.reshape(1, -1, 1, 1)).div_(std.reshape(1, -1, 1, 1))


def load_pamap2(
    root: str | None = None,
    download: bool = False,
    *,
    train_split: str = "train",
    eval_split: str = "val",
    window: int = WINDOW,
    train_windows: int = TRAIN_WINDOWS,
    eval_windows: int = EVAL_WINDOWS,
    normalisation: str = "paper",
) -> Splits:
    """PAMAP2 probe splits: float32 [N, 52, 32, 32] z-scored log spectrograms of seeded 10 s windows.

    Train: `train_windows` windows of `train_split` ("train": subjects 1-4, 7-9; "one_participant": 1).
    Test: `eval_windows` windows of `eval_split` ("val": subject 5, as the paper reports; or "test": 6).
    `normalisation`: "paper" uses the authors' per-channel constants (the default, faithful), "train" the
    statistics of this training pool. `download` is refused: PAMAP2 must be fetched by hand (see HOW_TO_GET).
    """
    if normalisation not in NORMALISATIONS:
        raise UserError(f"unknown PAMAP2 normalisation {normalisation!r}; use one of {', '.join(NORMALISATIONS)}")
    if train_windows <= 0 or eval_windows <= 0:
        raise UserError("PAMAP2 window pools must hold at least one window; raise train_windows and eval_windows")
    subjects = sorted(set(_subjects(train_split)) | set(_subjects(eval_split)))
    directory = files.find_protocol_dir(root, subjects)
    if directory is None:
        if download:
            raise UserError(f"vmk cannot download PAMAP2 itself (the archive is a manual download); {files.HOW_TO_GET}")
        raise files.not_found(root, subjects)
    train_x, train_y = window_pool(
        files.load_segments(directory, _subjects(train_split)), train_windows, TRAIN_SEED, window, "train"
    )
    test_x, test_y = window_pool(
        files.load_segments(directory, _subjects(eval_split)), eval_windows, EVAL_SEED, window, eval_split
    )
    mean, std = (torch.tensor(PAPER_MEANS), torch.tensor(PAPER_STDS)) if normalisation == "paper" else channel_stats(train_x)
    return Splits(
        name="pamap2_one_participant" if train_split == "one_participant" else "pamap2",
        modality="sensor",
        train_x=_standardise_(train_x, mean, std),
        train_y=train_y,
        test_x=_standardise_(test_x, mean, std),
        test_y=test_y,
        num_classes=len(files.ACTIVITIES),
        class_names=list(files.ACTIVITIES.values()),
        source=str(directory.resolve()),
        meta={
            "channels": list(files.CHANNELS),
            "activity_ids": list(files.ACTIVITIES),
            "train_subjects": [100 + s for s in _subjects(train_split)],
            "test_subjects": [100 + s for s in _subjects(eval_split)],
            "test_split": eval_split,
            "sample_rate_hz": files.SAMPLE_RATE_HZ,
            "window": window,
            "n_fft": N_FFT,
            "hop_length": HOP_LENGTH,
            "spectrogram": "log(|STFT|^2 + 1e-6), periodic Hann, center=True, reflect padding",
            "sampling": "uniform over (subject, activity) pairs, then uniform start; windows inside one segment",
            "window_seeds": {"train": TRAIN_SEED, "test": EVAL_SEED},
            "normalisation": normalisation,
            "norm_mean": [float(v) for v in mean],
            "norm_std": [float(v) for v in std],
            "paper_head_outputs": 12,  # the authors' head has 12 outputs for these 11 classes (§7.6)
        },
    )


def training_sampler(split: str) -> Callable[..., WindowSampler]:
    """The pretraining sampler of `split`, normalised exactly as the prepared probe splits are."""

    def build(root, device, seed: int, splits: Splits, options: dict) -> WindowSampler:
        return pamap2_sampler(root, split, device, seed, window=options.get("window", WINDOW),
                              norm_mean=splits.meta["norm_mean"], norm_std=splits.meta["norm_std"])

    return build


def load_pamap2_one_participant(root: str | None = None, download: bool = False, **options) -> Splits:
    """PAMAP2 few-label setting: training windows from subject 101 only, tested on subject 105."""
    return load_pamap2(root, download, train_split="one_participant", **options)


# The datasets this module reads (data/catalog.py lists them by name).
DATASETS = (
    DatasetInfo(
        name="pamap2",
        modality="sensor",
        description="PAMAP2 Protocol, 11 activities, 52 channels at 100 Hz: 10 s windows as 52x32x32 log spectrograms; "
        "train subjects 101-104, 107-109, tested on 105",
        loader=load_pamap2,
        embedded=False,
        locate=locate,
        how_to_get=files.HOW_TO_GET,
        sampler=training_sampler("train"),
    ),
    DatasetInfo(
        name="pamap2_one_participant",
        modality="sensor",
        description="PAMAP2 few-label setting: as pamap2, but the training windows come from subject 101 only",
        loader=load_pamap2_one_participant,
        embedded=False,
        locate=lambda root: locate(root, ("one_participant", "val")),
        how_to_get=files.HOW_TO_GET,
        sampler=training_sampler("one_participant"),
    ),
)
