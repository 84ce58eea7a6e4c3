"""AudioMNIST (Becker et al., MIT licence): spoken digits by 60 speakers, 48 kHz WAV used as is.

Layout: `AudioMNIST/data/<speaker 01..60>/<digit>_<speaker>_<index>.wav`. Labels are digits. The split is
speaker-disjoint with the authors' fixed lists (`viewmaker:src/datasets/audio_mnist.py`): train = their
36 "train" + 12 "val" speakers, test = the 12 speakers in TEST_SPEAKERS.
"""

from __future__ import annotations

from pathlib import Path

from viewmaker_cli.data.info import DatasetInfo
from viewmaker_cli.data.speech import search
from viewmaker_cli.data.speech.loader import ClipOptions, speech_loader
from viewmaker_cli.data.speech.normalize import DATASET_STATS
from viewmaker_cli.data.speech.pipeline import build_splits
from viewmaker_cli.data.splits import Splits
from viewmaker_cli.errors import UserError

NAME = "audiomnist"
SAMPLE_RATE = 48_000  # native; the method does not resample (reference §3.2, §7.11)
TEST_SPEAKERS = (26, 52, 60, 18, 32, 42, 5, 13, 22, 33, 45, 51)
HOW_TO_GET = "git clone https://github.com/soerenab/AudioMNIST into $VMK_DATA/audiomnist (giving AudioMNIST/data/01..60)"


def _data_dir(base: Path) -> Path | None:
    """`base/data` holding speaker folders, or `base` itself when it is that folder."""
    for folder in (base / "data", base):
        if folder.is_dir() and any(folder.glob("[0-9][0-9]/*.wav")):
            return folder
    return None


# The `AudioMNIST` folder, or its `data` folder.
SOURCE = search.Source(
    "AudioMNIST", NAME, ("AudioMNIST",), "data/<speaker>/<digit>_<speaker>_<index>.wav",
    ok=lambda d: _data_dir(d) is not None, how_to_get=HOW_TO_GET,
)  # fmt: skip


@speech_loader
def load_audiomnist(root: str | None, download: bool, clips: ClipOptions) -> Splits:
    """Digit classification, speaker-disjoint, fp16 [N, 1, 64, 64] z-scored with AudioMNIST's constants."""
    folder = SOURCE.find(root, download)
    data = _data_dir(folder)
    train: tuple[list[Path], list[int]] = ([], [])
    test: tuple[list[Path], list[int]] = ([], [])
    for path in sorted(data.glob("[0-9][0-9]/*.wav")):
        digit, speaker, _ = (path.stem.split("_") + ["", ""])[:3]
        if not digit.isdigit() or not speaker.isdigit() or int(digit) > 9:
            raise UserError(f"{path}: expected a name <digit>_<speaker>_<index>.wav; remove or rename it")
        split = test if int(speaker) in TEST_SPEAKERS else train
        split[0].append(path)
        split[1].append(int(digit))
    return build_splits(
        NAME, folder, train, test,
        class_names=[str(d) for d in range(10)],
        sample_rate=SAMPLE_RATE, stats=DATASET_STATS[NAME], clips=clips,
        meta={"test_speakers": list(TEST_SPEAKERS)},
    )  # fmt: skip


# The datasets this module reads (data/catalog.py lists them by name).
DATASETS = (
    DatasetInfo(
        name=NAME,
        modality="audio",
        description="AudioMNIST: 30,000 spoken digits by 60 speakers (48 kHz), 48 train / 12 test speakers, 64x64 log-mel",
        loader=load_audiomnist,
        embedded=False,
        locate=SOURCE.locate,
        how_to_get=HOW_TO_GET,
    ),
)
