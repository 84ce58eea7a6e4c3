"""VoxCeleb1 (Oxford VGG, CC BY 4.0) speaker identification, 16 kHz.

Layout: `wav/idXXXXX/<video>/<n>.wav` and `iden_split.txt`, lines `<1|2|3> idXXXXX/<video>/<n>.wav`
(1 train, 2 validation, 3 test). As in the authors' code (reference §4.1), train = splits 1 + 2 and
test = split 3; labels are speaker ids in ascending order (1,251 speakers).
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

NAME = "voxceleb1"
SAMPLE_RATE = 16_000
SPLIT_FILE = "iden_split.txt"
HOW_TO_GET = (
    "request VoxCeleb1 at https://www.robots.ox.ac.uk/~vgg/data/voxceleb/vox1.html and put its wav/ folder "
    "and iden_split.txt in $VMK_DATA/voxceleb1"
)


# The folder holding `iden_split.txt` and `wav/`.
SOURCE = search.Source(
    "VoxCeleb1", NAME, ("VoxCeleb1", "vox1"), f"{SPLIT_FILE} and wav/",
    ok=lambda d: (d / SPLIT_FILE).is_file() and (d / "wav").is_dir(), how_to_get=HOW_TO_GET,
)  # fmt: skip


def read_split(path: Path) -> dict[str, list[str]]:
    """Relative wav paths per split code ("1", "2", "3")."""
    splits: dict[str, list[str]] = {"1": [], "2": [], "3": []}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 2 or fields[0] not in splits:
            raise UserError(f"{path}:{number}: expected '<1|2|3> idXXXXX/<video>/<n>.wav', got {line!r}")
        splits[fields[0]].append(fields[1])
    return splits


@speech_loader
def load_voxceleb1(root: str | None, download: bool, clips: ClipOptions) -> Splits:
    """Speaker ID, fp16 [N, 1, 64, 64] z-scored with VoxCeleb1's constants."""
    folder = SOURCE.find(root, download)
    splits = read_split(folder / SPLIT_FILE)
    train_rel, test_rel = splits["1"] + splits["2"], splits["3"]
    speakers = sorted({rel.split("/")[0] for rel in train_rel + test_rel})
    label_of = {speaker: i for i, speaker in enumerate(speakers)}

    def files(rels: list[str]) -> tuple[list[Path], list[int]]:
        return [folder / "wav" / rel for rel in rels], [label_of[rel.split("/")[0]] for rel in rels]

    return build_splits(
        NAME, folder, files(train_rel), files(test_rel),
        class_names=speakers,
        sample_rate=SAMPLE_RATE, stats=DATASET_STATS[NAME], clips=clips,
    )  # fmt: skip


# The datasets this module reads (data/catalog.py lists them by name).
DATASETS = (
    DatasetInfo(
        name=NAME,
        modality="audio",
        description="VoxCeleb1 identification: 1,251 speakers, iden_split 1+2 train / 3 test, 64x64 log-mel",
        loader=load_voxceleb1,
        embedded=False,
        locate=SOURCE.locate,
        how_to_get=HOW_TO_GET,
    ),
)
