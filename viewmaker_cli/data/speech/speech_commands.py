"""Google Speech Commands v0.01 (CC BY 4.0): 1 s, 16 kHz clips of 30 words.

Layout: `<word>/<hash>_nohash_<n>.wav` plus `validation_list.txt` and `testing_list.txt`. Following the
authors (reference §4.1), test = the official testing list and train = every other word clip, validation
list included (`validation_in_train=False` leaves the validation clips out). `_background_noise_` is
never used. Clips are zero-padded to 150,526 samples, so ~89% of the frames are silence, as in the paper.
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

NAME = "speech_commands"
SAMPLE_RATE = 16_000
# The authors' label order (viewmaker:src/datasets/google_speech.py).
WORDS = [
    "eight", "right", "happy", "three", "yes", "up", "no", "stop", "on", "four", "nine",
    "zero", "down", "go", "six", "two", "left", "five", "off", "seven", "one",
    "cat", "bird", "marvin", "wow", "tree", "dog", "sheila", "bed", "house",
]  # fmt: skip
LISTS = ("validation_list.txt", "testing_list.txt")
HOW_TO_GET = (
    "download http://download.tensorflow.org/data/speech_commands_v0.01.tar.gz and extract it into "
    "$VMK_DATA/speech_commands"
)


# The folder holding the word folders and the two list files.
SOURCE = search.Source(
    "Google Speech Commands v0.01", NAME, ("speech_commands_v0.01",), " and ".join(LISTS),
    ok=lambda d: all((d / name).is_file() for name in LISTS), how_to_get=HOW_TO_GET,
)  # fmt: skip


def _read_list(path: Path) -> set[str]:
    return {line.strip() for line in path.read_text().splitlines() if line.strip()}


@speech_loader
def load_speech_commands(root: str | None, download: bool, clips: ClipOptions, validation_in_train: bool = True) -> Splits:
    """30-word classification on the official test list, fp16 [N, 1, 64, 64] z-scored with its constants."""
    folder = SOURCE.find(root, download)
    validation, testing = (_read_list(folder / name) for name in LISTS)
    folders = sorted(d.name for d in folder.iterdir() if d.is_dir() and not d.name.startswith(("_", ".")))
    extra = [name for name in folders if name.lower() not in WORDS]
    if extra:
        raise UserError(
            f"{folder} has word folders outside v0.01's 30 words ({', '.join(extra[:5])}); "
            "this looks like v0.02: use speech_commands_v0.01"
        )
    train: tuple[list[Path], list[int]] = ([], [])
    test: tuple[list[Path], list[int]] = ([], [])
    for word in folders:
        for path in sorted((folder / word).glob("*.wav")):
            relative = f"{word}/{path.name}"
            if relative in testing:
                split = test
            elif relative in validation and not validation_in_train:
                continue
            else:
                split = train
            split[0].append(path)
            split[1].append(WORDS.index(word.lower()))
    return build_splits(
        NAME, folder, train, test,
        class_names=list(WORDS),
        sample_rate=SAMPLE_RATE, stats=DATASET_STATS[NAME], clips=clips,
        meta={"validation_in_train": validation_in_train},
    )  # fmt: skip


# The datasets this module reads (data/catalog.py lists them by name).
DATASETS = (
    DatasetInfo(
        name=NAME,
        modality="audio",
        description="Google Speech Commands v0.01: 30 words, official test list (train includes the "
        "validation list), 1 s clips padded to 9.4 s, 64x64 log-mel",
        loader=load_speech_commands,
        embedded=False,
        locate=SOURCE.locate,
        how_to_get=HOW_TO_GET,
    ),
)
