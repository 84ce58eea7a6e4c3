"""Embedded speech data: the digits "zero"…"nine" synthesised with espeak-ng, prepared once and cached.

A "speaker" is one voice × variant × speaking rate × pitch combination. Speakers are drawn from the grid
with a seeded generator, cycling through the voice+variant pairs so that small counts still get distinct
timbres, and the split is by voice+variant pair: no test speaker shares a voice and variant with a
training speaker (stricter than speaker-disjoint). The default 200 speakers give 2,000 clips,
1,600 train / 400 test.

Clips are 16 kHz (espeak-ng's 22,050 Hz resampled with librosa) and, because digits last < 1 s, are
cut or padded to 1 s (16,000 samples) instead of the paper's 150,526. With n_mels 64 and hop
16,000 // 63 = 253, the front end gives 64 frames: examples are fp16 [N, 1, 64, 64], z-scored with the
training split's own mean and std (recorded in `Splits.meta`).
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from viewmaker_cli.core.atomic import atomic_output
from viewmaker_cli.core.progress import track
from viewmaker_cli.data.fashion_mnist import data_home
from viewmaker_cli.data.info import DatasetInfo
from viewmaker_cli.data.speech.frontend import N_FFT, fixed_length, hop_length, log_mel
from viewmaker_cli.data.speech.normalize import fit_stats, zscore
from viewmaker_cli.data.splits import Splits

log = logging.getLogger(__name__)

NAME = "spoken_digits"
VERSION = 1  # bump when the generation changes, so old cache files are not reused
DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
# espeak-ng's English voices (en-Shaw writes Shavian script; en-us-nyc sounds like en-us) and 17 of its
# language-independent voice variants.
VOICES = ["en", "en-us", "en-gb-x-rp", "en-gb-scotland", "en-029", "en-gb-x-gbclan", "en-gb-x-gbcwmd"]
VARIANTS = [
    "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8",
    "f1", "f2", "f3", "f4", "f5", "klatt", "klatt2", "klatt3", "croak",
]  # fmt: skip
RATES = [130, 160, 190, 220]  # words per minute (espeak-ng's default is 175)
PITCHES = [30, 45, 60, 75]  # 0..100 (default 50)
SAMPLE_RATE = 16_000
CLIP_SAMPLES = 16_000  # 1 s
N_MELS = 64
HOP = hop_length(CLIP_SAMPLES, N_MELS)  # 253
BATCH = 256


def speaker_name(voice: str, variant: str, rate: int, pitch: int) -> str:
    return f"{voice}+{variant}@{rate}wpm/p{pitch}"


def choose_speakers(n_speakers: int, test_fraction: float, seed: int) -> tuple[list[tuple], list[bool]]:
    """`n_speakers` (voice, variant, rate, pitch) tuples and, for each, whether it is a test speaker."""
    pairs = [(voice, variant) for voice in VOICES for variant in VARIANTS]
    if not 2 <= n_speakers <= len(pairs) * len(RATES) * len(PITCHES):
        raise ValueError(f"n_speakers must be 2..{len(pairs) * len(RATES) * len(PITCHES)}, not {n_speakers}")
    rng = np.random.default_rng(seed)
    order = [pairs[i] for i in rng.permutation(len(pairs))]
    speakers, seen = [], set()
    for i in range(n_speakers):
        voice, variant = order[i % len(order)]
        while True:  # a rate/pitch not yet used with this pair (≤ 16 speakers per pair, so this ends)
            speaker = (voice, variant, int(rng.choice(RATES)), int(rng.choice(PITCHES)))
            if speaker not in seen:
                break
        seen.add(speaker)
        speakers.append(speaker)
    # Whole voice+variant pairs go to test, in draw order, until they hold test_fraction of the speakers;
    # at least one pair stays on each side.
    used = order[: min(n_speakers, len(order))]
    per_pair = {pair: sum(s[:2] == pair for s in speakers) for pair in used}
    test_pairs: set[tuple] = set()
    for pair in used[:-1]:
        if not test_pairs or sum(per_pair[p] for p in test_pairs) < test_fraction * n_speakers:
            test_pairs.add(pair)
        else:
            break
    return speakers, [s[:2] in test_pairs for s in speakers]


def synthesize(speakers: list[tuple]) -> tuple[list[np.ndarray], list[int], list[int]]:
    """Every digit by every speaker: 16 kHz float32 clips, digit labels and speaker indices."""
    import librosa  # deferred: slow to import

    from viewmaker_cli.data.speech.espeak import engine

    tts = engine()
    jobs = [(s, d) for s in range(len(speakers)) for d in range(len(DIGITS))]
    clips, labels, owners = [], [], []
    for s, d in track(jobs, f"synthesising {NAME}", total=len(jobs), unit="clip"):
        voice, variant, rate, pitch = speakers[s]
        wave = tts.say(DIGITS[d], f"{voice}+{variant}", rate, pitch)
        if tts.sample_rate != SAMPLE_RATE:
            wave = librosa.resample(wave, orig_sr=tts.sample_rate, target_sr=SAMPLE_RATE)
        clips.append(wave.astype(np.float32))
        labels.append(d)
        owners.append(s)
    return clips, labels, owners


def spectrograms(waves: torch.Tensor) -> torch.Tensor:
    """Unnormalised log-mels float32 [N, 1, 64, 64] of 1 s clips [N, 16000], in batches."""
    return torch.cat([log_mel(waves[i : i + BATCH], SAMPLE_RATE, N_MELS, N_FFT, HOP) for i in range(0, len(waves), BATCH)])


def generate_spoken_digits(n_speakers: int = 200, test_fraction: float = 0.2, seed: int = 0, waveform: bool = False) -> Splits:
    """Synthesise and prepare the dataset (no cache): fp16 [N, 1, 64, 64] z-scored log-mels, or with
    `waveform` the fp16 1 s clips [N, 1, 16000] themselves (the front end then runs on the device, after
    time-domain views); labels = digit. fp16 keeps ~66 dB of signal, more than the front end's 40 dB range."""
    speakers, is_test = choose_speakers(n_speakers, test_fraction, seed)
    clips, labels, owners = synthesize(speakers)
    waves = fixed_length(clips, CLIP_SAMPLES)
    features = spectrograms(waves)
    labels_t, owners_t = torch.tensor(labels, dtype=torch.int64), torch.tensor(owners, dtype=torch.int64)
    test = torch.tensor([is_test[o] for o in owners], dtype=torch.bool)
    mean, std = fit_stats(features[~test])  # training split only, so test data leaks nothing
    features = waves.unsqueeze(1).half() if waveform else zscore(features, mean, std).half()
    return Splits(
        name=NAME,
        modality="audio",
        train_x=features[~test].contiguous(),
        train_y=labels_t[~test],
        test_x=features[test].contiguous(),
        test_y=labels_t[test],
        num_classes=len(DIGITS),
        class_names=list(DIGITS),
        source=f"espeak-ng synthesis ({n_speakers} speakers, seed {seed})",
        meta={
            "mean": mean, "std": std, "sample_rate": SAMPLE_RATE, "hop_length": HOP, "n_fft": N_FFT,
            "n_mels": N_MELS, "clip_samples": CLIP_SAMPLES, "waveform": waveform,
            "speakers": [speaker_name(*s) for s in speakers],
            "train_speaker": owners_t[~test].tolist(), "test_speaker": owners_t[test].tolist(),
        },  # fmt: skip
    )


def cache_file(n_speakers: int, test_fraction: float, seed: int, waveform: bool = False) -> Path:
    form = "-wave" if waveform else ""
    return data_home() / NAME / f"{NAME}-v{VERSION}-{n_speakers}spk-test{test_fraction:g}-seed{seed}{form}.pt"


def _read(path: Path) -> Splits | None:
    try:
        return Splits(**torch.load(path, map_location="cpu", weights_only=True))
    except Exception as error:  # damaged or from another version: make it again
        log.warning("ignoring unreadable %s (%s); regenerating", path, error)
        return None


def _write(path: Path, splits: Splits) -> None:
    """Atomic: a concurrent reader sees the whole file or none. A failure only costs a re-synthesis."""
    try:
        with atomic_output(path) as tmp:
            torch.save(asdict(splits), tmp)
    except OSError as error:
        log.warning("cannot cache %s at %s (%s); it will be synthesised again next time", NAME, path, error)


def load_spoken_digits(n_speakers: int = 200, test_fraction: float = 0.2, seed: int = 0, waveform: bool = False) -> Splits:
    """The embedded spoken digits, from $VMK_DATA/spoken_digits/ or synthesised there on first use."""
    path = cache_file(n_speakers, test_fraction, seed, waveform)
    if path.is_file() and (splits := _read(path)) is not None:
        return splits
    splits = generate_spoken_digits(n_speakers, test_fraction, seed, waveform)
    _write(path, splits)
    return splits


# The datasets this module reads (data/catalog.py lists them by name).
DATASETS = (
    DatasetInfo(
        name=NAME,
        modality="audio",
        description="Spoken digits 0-9 synthesised with espeak-ng (needs vmk[speech]): 200 speakers, "
        "1,600 train / 400 test, speaker-disjoint, 1 s, 64x64 log-mel",
        loader=load_spoken_digits,
        embedded=True,
        how_to_get="pip install 'vmk[speech]' (espeakng-loader); the clips are synthesised on first use",
    ),
)
