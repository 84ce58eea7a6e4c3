"""STL-10 (Coates et al. 2011) from its binary release, `stl10_binary/`: 96x96 RGB, 10 classes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from viewmaker_cli.data.download import fetch_and_extract
from viewmaker_cli.data.images.arrays import image_splits
from viewmaker_cli.data.images.locate import download_dir, first_dir, has_files, not_found, search_dirs
from viewmaker_cli.data.info import DatasetInfo
from viewmaker_cli.data.splits import Splits
from viewmaker_cli.errors import UserError

NAME = "stl10"
FOLDER = "stl10_binary"
FILES = ("train_X.bin", "train_y.bin", "test_X.bin", "test_y.bin", "class_names.txt")
UNLABELED = "unlabeled_X.bin"  # 100,000 images (2.7 GB) for unsupervised use; read only on request
URL = "http://ai.stanford.edu/~acoates/stl10/stl10_binary.tar.gz"
MD5 = "91f7769df0f17e558f3565bffb0c7dfb"
SHAPE = (3, 96, 96)
HOW_TO_GET = f"set data.root=DIR to a folder holding {FOLDER}/ (from {URL}, 2.6 GB), or data.download=true"


def _dirs(root: str | None) -> list[Path]:
    return search_dirs(NAME, root, inner=(FOLDER,))


def locate(root: str | None = None) -> Path | None:
    """The folder holding STL-10's labelled binary files, or None."""
    return first_dir(_dirs(root), has_files(*FILES))


def read_stl10_images(path: Path) -> np.ndarray:
    """Images uint8 [N, 3, 96, 96] from an STL-10 `*_X.bin` file."""
    raw = np.fromfile(path, dtype=np.uint8)
    per_image = int(np.prod(SHAPE))
    if raw.size == 0 or raw.size % per_image:
        raise UserError(
            f"{path} holds {raw.size} bytes, not a whole number of 3x96x96 images: the file is truncated "
            "or corrupt; replace it with an original copy"
        )
    # Each channel is stored column by column (MATLAB order): swap the last two axes to stand it upright.
    return np.ascontiguousarray(raw.reshape(-1, *SHAPE).transpose(0, 1, 3, 2))


def _read_labels(path: Path, count: int) -> np.ndarray:
    labels = np.fromfile(path, dtype=np.uint8)
    if labels.size != count or not ((labels >= 1) & (labels <= 10)).all():
        raise UserError(
            f"{path} should hold {count} labels in 1..10 (one per image), found {labels.size}; "
            "the file is truncated or corrupt: replace it with an original copy"
        )
    return labels.astype(np.int64) - 1  # 1..10 to 0..9


def _read_names(path: Path) -> list[str]:
    names = [line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    if len(names) != 10:
        raise UserError(f"{path} lists {len(names)} class names, expected 10; replace it with an original copy")
    return names


def load_stl10_unlabeled(root: str | None = None) -> np.ndarray:
    """The 100,000 unlabelled images, uint8 [N, 3, 96, 96] (not part of `load_stl10`'s splits)."""
    directory = first_dir(_dirs(root), has_files(UNLABELED))
    if directory is None:
        raise not_found("STL-10 unlabeled images", _dirs(root), UNLABELED, HOW_TO_GET)
    return read_stl10_images(directory / UNLABELED)


def load_stl10(root: str | None = None, download: bool = False, pad_to: int | None = None) -> Splits:
    """STL-10's labelled splits: 5,000 train / 8,000 test RGB images uint8 [N, 3, 96, 96], labels 0..9.

    `unlabeled_X.bin` is skipped; `load_stl10_unlabeled` reads it.
    """
    directory = locate(root)
    if directory is None and download:
        fetch_and_extract(URL, MD5, download_dir(NAME, root), FOLDER, "STL-10")
        directory = locate(root)
    if directory is None:
        raise not_found("STL-10", _dirs(root), ", ".join(FILES), HOW_TO_GET)
    splits = []
    for split in ("train", "test"):
        images = read_stl10_images(directory / f"{split}_X.bin")
        splits.append((images, _read_labels(directory / f"{split}_y.bin", len(images))))
    names = _read_names(directory / "class_names.txt")
    return image_splits(NAME, splits[0], splits[1], names, str(directory.resolve()), pad_to)


# The datasets this module reads (data/catalog.py lists them by name).
DATASETS = (
    DatasetInfo(
        name=NAME,
        modality="image",
        description="STL-10 labelled splits: 5,000 train / 8,000 test, 10 classes, 96x96 RGB (binary files)",
        loader=load_stl10,
        embedded=False,
        locate=locate,
        how_to_get=HOW_TO_GET,
    ),
)
