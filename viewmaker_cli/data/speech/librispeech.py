"""LibriSpeech (OpenSLR 12, CC BY 4.0) speaker identification from its FLAC files.

Layout: `LibriSpeech/<subset>/<speaker>/<chapter>/<speaker>-<chapter>-<utt>.flac`, 16 kHz. Labels are
speaker indices (speaker ids in ascending order). Every speaker's utterances are split by the authors'
`LibriSpeechTransfer` rule: files in torchaudio's order (file ids sorted as strings), per speaker in
ascending id order `RandomState(split_seed).shuffle`, the first `int(train_fraction * n)` to train.

- `librispeech`: `subsets` default train-clean-100 (the 100 h pretraining set; the 960 h set is
  train-clean-100 + train-clean-360 + train-other-500), 90/10 per speaker.
- `librispeech_dev`: dev-clean, 80/20 per speaker, seed 42: the paper's speaker-ID transfer split
  (reference §4.1), 40 speakers.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from viewmaker_cli.data.info import DatasetInfo
from viewmaker_cli.data.speech import search
from viewmaker_cli.data.speech.loader import ClipOptions, speech_loader
from viewmaker_cli.data.speech.normalize import DATASET_STATS
from viewmaker_cli.data.speech.pipeline import build_splits
from viewmaker_cli.data.splits import Splits

HOME = "librispeech"
SAMPLE_RATE = 16_000
TRAIN_100H = ("train-clean-100",)
TRAIN_960H = ("train-clean-100", "train-clean-360", "train-other-500")
HOW_TO_GET = (
    "download the subsets (e.g. train-clean-100.tar.gz, dev-clean.tar.gz) from https://www.openslr.org/12 "
    "and extract them into $VMK_DATA/librispeech (giving LibriSpeech/<subset>/...)"
)


def source(subsets: tuple[str, ...]) -> search.Source:
    """The folder holding every subset in `subsets` (the `LibriSpeech` folder)."""
    return search.Source(
        "LibriSpeech", HOME, ("LibriSpeech",), ", ".join(f"{s}/" for s in subsets),
        ok=lambda d: all((d / s).is_dir() for s in subsets), how_to_get=HOW_TO_GET,
    )  # fmt: skip


def locate(root: str | None = None, subsets: tuple[str, ...] = TRAIN_100H) -> Path | None:
    """The `LibriSpeech` folder holding every subset in `subsets`, or None."""
    return source(tuple(subsets)).locate(root)


def per_speaker_split(file_ids: list[str], train_fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Indices into `file_ids` (`<speaker>-<chapter>-<utt>`, in dataset order) for train and test."""
    speakers = np.array([int(f.split("-")[0]) for f in file_ids])
    rs = np.random.RandomState(seed)
    train, test = [], []
    for speaker in sorted(set(speakers.tolist())):
        indices = np.where(speakers == speaker)[0]
        rs.shuffle(indices)
        cut = int(train_fraction * len(indices))
        train += indices[:cut].tolist()
        test += indices[cut:].tolist()
    return train, test


@speech_loader
def load_librispeech(
    root: str | None,
    download: bool,
    clips: ClipOptions,
    subsets: tuple[str, ...] = TRAIN_100H,
    train_fraction: float = 0.9,
    split_seed: int = 42,
    name: str = "librispeech",
) -> Splits:
    """Speaker ID on `subsets`, fp16 [N, 1, 64, 64] z-scored with LibriSpeech's constants.

    Clips are cut to the first `clip_samples` (pass `crop_side="random"` with `seed` for the authors'
    random head/tail training crop) or zero-padded.
    """
    folder = source(tuple(subsets)).find(root, download)
    files = []
    for subset in subsets:  # the authors concatenate the subsets, each in torchaudio's sorted order
        files += sorted((folder / subset).glob("*/*/*.flac"), key=lambda p: p.stem)
    if not files:
        dirs = [folder / s for s in subsets]
        raise search.not_found("LibriSpeech FLAC files", "<speaker>/<chapter>/*.flac", dirs, HOW_TO_GET, download)
    file_ids = [p.stem for p in files]
    speaker_ids = sorted({int(f.split("-")[0]) for f in file_ids})
    label_of = {speaker: i for i, speaker in enumerate(speaker_ids)}
    labels = [label_of[int(f.split("-")[0])] for f in file_ids]
    train, test = per_speaker_split(file_ids, train_fraction, split_seed)
    return build_splits(
        name,
        folder,
        ([files[i] for i in train], [labels[i] for i in train]),
        ([files[i] for i in test], [labels[i] for i in test]),
        class_names=[str(s) for s in speaker_ids],
        sample_rate=SAMPLE_RATE,
        stats=DATASET_STATS["librispeech"],
        clips=clips,
        meta={"subsets": list(subsets), "train_fraction": train_fraction, "split_seed": split_seed},
    )


def load_librispeech_dev(root: str | None = None, download: bool = False, **options) -> Splits:
    """The paper's transfer task: dev-clean speaker ID, 80/20 per speaker, RandomState(42)."""
    return load_librispeech(
        root, download, subsets=("dev-clean",), train_fraction=0.8, split_seed=42, name="librispeech_dev", **options
    )


# The datasets this module reads (data/catalog.py lists them by name).
DATASETS = (
    DatasetInfo(
        name="librispeech",
        modality="audio",
        description="LibriSpeech train-clean-100 (100 h), speaker ID over 251 speakers, 90/10 per speaker, "
        "9.4 s crops, 64x64 log-mel",
        loader=load_librispeech,
        embedded=False,
        locate=locate,
        how_to_get=HOW_TO_GET,
    ),
    DatasetInfo(
        name="librispeech_dev",
        modality="audio",
        description="LibriSpeech dev-clean speaker ID (the paper's transfer split): 40 speakers, 80/20 per speaker",
        loader=load_librispeech_dev,
        embedded=False,
        locate=functools.partial(locate, subsets=("dev-clean",)),
        how_to_get=HOW_TO_GET,
    ),
)
