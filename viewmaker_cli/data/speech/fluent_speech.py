"""Fluent Speech Commands (Fluent.ai, academic licence): spoken-language-understanding intents, 16 kHz.

Layout: `fluent_speech_commands_dataset/data/{train,valid,test}_data.csv` with columns path, speakerId,
transcription, action, object, location; `path` is relative to the dataset folder. One task per
registered name: `fluent_actions` (6 classes), `fluent_objects` (14), `fluent_locations` (4). As in the
authors' code, train = train_data.csv + valid_data.csv, test = test_data.csv (speaker-disjoint by the
dataset's design), labels in their class order.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

from viewmaker_cli.data.info import DatasetInfo
from viewmaker_cli.data.speech import search
from viewmaker_cli.data.speech.loader import ClipOptions, speech_loader
from viewmaker_cli.data.speech.normalize import DATASET_STATS
from viewmaker_cli.data.speech.pipeline import build_splits
from viewmaker_cli.data.splits import Splits
from viewmaker_cli.errors import UserError

HOME = "fluent_speech"
SAMPLE_RATE = 16_000
CLASSES = {
    "action": ["change language", "activate", "deactivate", "increase", "decrease", "bring"],
    "object": [
        "none", "music", "lights", "volume", "heat", "lamp", "newspaper", "juice", "socks", "shoes",
        "Chinese", "Korean", "English", "German",
    ],
    "location": ["none", "kitchen", "bedroom", "washroom"],
}  # fmt: skip
CSVS = ("train_data.csv", "valid_data.csv", "test_data.csv")
HOW_TO_GET = (
    "request Fluent Speech Commands at https://fluent.ai/fluent-speech-commands-a-dataset-for-spoken-language-"
    "understanding-research/ and extract it into $VMK_DATA/fluent_speech"
)


# The dataset folder (holding `data/*.csv`).
SOURCE = search.Source(
    "Fluent Speech Commands", HOME, ("fluent_speech_commands_dataset",), ", ".join(f"data/{c}" for c in CSVS),
    ok=lambda d: all((d / "data" / name).is_file() for name in CSVS), how_to_get=HOW_TO_GET,
)  # fmt: skip


def _read_csv(folder: Path, name: str, task: str) -> tuple[list[Path], list[int]]:
    path = folder / "data" / name
    with open(path, newline="") as stream:
        rows = list(csv.DictReader(stream))
    if rows and not {"path", task} <= rows[0].keys():
        raise UserError(f"{path} has columns {', '.join(rows[0])}; expected path and {task}: use the original CSV")
    classes = CLASSES[task]
    files, labels = [], []
    for row in rows:
        if row[task] not in classes:
            raise UserError(f"{path}: unknown {task} {row[task]!r}; known: {', '.join(classes)}")
        files.append(folder / row["path"])
        labels.append(classes.index(row[task]))
    return files, labels


@speech_loader
def load_fluent_speech(root: str | None, download: bool, clips: ClipOptions, task: str = "action") -> Splits:
    """Intent slot `task` (action | object | location), fp16 [N, 1, 64, 64] z-scored with its constants."""
    if task not in CLASSES:
        raise UserError(f"unknown Fluent Speech task {task!r}; known: {', '.join(CLASSES)}")
    folder = SOURCE.find(root, download)
    (train_files, train_labels), (valid_files, valid_labels), test = (_read_csv(folder, c, task) for c in CSVS)
    return build_splits(
        f"fluent_{task}s", folder, (train_files + valid_files, train_labels + valid_labels), test,
        class_names=list(CLASSES[task]),
        sample_rate=SAMPLE_RATE, stats=DATASET_STATS["fluent_speech"], clips=clips,
        meta={"task": task},
    )  # fmt: skip


# The datasets this module reads (data/catalog.py lists them by name): one per intent slot.
DATASETS = tuple(
    DatasetInfo(
        name=f"fluent_{task}s",
        modality="audio",
        description=f"Fluent Speech Commands, {task} ({len(classes)} classes): train+valid / test CSVs, 64x64 log-mel",
        loader=functools.partial(load_fluent_speech, task=task),
        embedded=False,
        locate=SOURCE.locate,
        how_to_get=HOW_TO_GET,
    )
    for task, classes in CLASSES.items()
)
