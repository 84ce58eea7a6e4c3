"""CIFAR-10 and CIFAR-100 (Krizhevsky 2009) from their "python version" pickle batches."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from viewmaker_cli.data.download import fetch_and_extract
from viewmaker_cli.data.images.arrays import image_splits
from viewmaker_cli.data.images.locate import download_dir, first_dir, has_files, not_found, search_dirs
from viewmaker_cli.data.images.safe_pickle import load_data_pickle
from viewmaker_cli.data.info import DatasetInfo
from viewmaker_cli.data.splits import Splits
from viewmaker_cli.errors import UserError


@dataclass(frozen=True)
class CifarFormat:
    """How one CIFAR variant lays out its archive."""

    name: str  # registered name, also the folder under $VMK_DATA
    title: str
    folder: str  # the archive's top folder (torchvision keeps it as is under its root)
    train_files: tuple[str, ...]
    test_file: str
    meta_file: str
    label_key: bytes
    names_key: bytes
    url: str
    md5: str

    @property
    def files(self) -> tuple[str, ...]:
        return (*self.train_files, self.test_file, self.meta_file)

    @property
    def how_to_get(self) -> str:
        return f"set data.root=DIR to a folder holding {self.folder}/ (from {self.url}), or data.download=true"


CIFAR10 = CifarFormat(
    name="cifar10",
    title="CIFAR-10",
    folder="cifar-10-batches-py",
    train_files=tuple(f"data_batch_{i}" for i in range(1, 6)),
    test_file="test_batch",
    meta_file="batches.meta",
    label_key=b"labels",
    names_key=b"label_names",
    url="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
    md5="c58f30108f718f92721af3b95e74349a",
)
CIFAR100 = CifarFormat(
    name="cifar100",
    title="CIFAR-100",
    folder="cifar-100-python",
    train_files=("train",),
    test_file="test",
    meta_file="meta",
    label_key=b"fine_labels",  # the 100 classes; coarse_labels are the 20 superclasses
    names_key=b"fine_label_names",
    url="https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
    md5="eb9058c3a382ffc7106e4002c42a8d85",
)


def _dirs(fmt: CifarFormat, root: str | None) -> list[Path]:
    return search_dirs(fmt.name, root, inner=(fmt.folder,))


def locate(fmt: CifarFormat, root: str | None) -> Path | None:
    """The folder holding all of `fmt`'s batch files, or None."""
    return first_dir(_dirs(fmt, root), has_files(*fmt.files))


def _read_batch(path: Path, label_key: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Images uint8 [N, 3, 32, 32] and labels [N] of one batch file."""
    batch = load_data_pickle(path)
    data = batch.get(b"data") if isinstance(batch, dict) else None
    labels = batch.get(label_key) if isinstance(batch, dict) else None
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise UserError(
            f"{path} holds no uint8 b'data' array [N, 3072]; it is not a CIFAR batch: replace it with an original copy"
        )
    try:
        labels = np.asarray(labels if labels is not None else [], dtype=np.int64)
    except (TypeError, ValueError):  # not a list of integers
        labels = np.empty(0, dtype=np.int64)
    if labels.shape != (len(data),):
        raise UserError(
            f"{path} holds {labels.size} {label_key.decode()} for {len(data)} images; replace it with an original copy"
        )
    # Each row is 1024 red, then green, then blue values, each plane row by row.
    return data.reshape(-1, 3, 32, 32), labels


def _read_names(path: Path, key: bytes) -> list[str]:
    meta = load_data_pickle(path)
    names = meta.get(key) if isinstance(meta, dict) else None
    if not isinstance(names, list) or not all(isinstance(n, bytes) for n in names):
        raise UserError(f"{path} has no {key.decode()} list; replace it with an original copy")
    return [n.decode("utf-8", errors="replace") for n in names]


def read_cifar(fmt: CifarFormat, directory: Path, pad_to: int | None, name: str | None = None) -> Splits:
    """Splits from the batch files in `directory`."""
    parts = [_read_batch(directory / f, fmt.label_key) for f in fmt.train_files]
    train = (np.concatenate([x for x, _ in parts]), np.concatenate([y for _, y in parts]))
    test = _read_batch(directory / fmt.test_file, fmt.label_key)
    names = _read_names(directory / fmt.meta_file, fmt.names_key)
    return image_splits(name or fmt.name, train, test, names, str(directory.resolve()), pad_to)


def find_or_download(fmt: CifarFormat, root: str | None, download: bool) -> Path:
    """The folder of `fmt`'s files, downloading the official archive first when allowed and needed."""
    found = locate(fmt, root)
    if found is None and download:
        fetch_and_extract(fmt.url, fmt.md5, download_dir(fmt.name, root), fmt.folder, fmt.title)
        found = locate(fmt, root)
    if found is None:
        raise not_found(fmt.title, _dirs(fmt, root), ", ".join(fmt.files), fmt.how_to_get)
    return found


def load_cifar10(root: str | None = None, download: bool = False, pad_to: int | None = None) -> Splits:
    """CIFAR-10: 50,000 train / 10,000 test RGB images uint8 [N, 3, 32, 32], 10 classes."""
    return read_cifar(CIFAR10, find_or_download(CIFAR10, root, download), pad_to)


def load_cifar100(root: str | None = None, download: bool = False, pad_to: int | None = None) -> Splits:
    """CIFAR-100 with its 100 fine labels: 50,000 train / 10,000 test, uint8 [N, 3, 32, 32]."""
    return read_cifar(CIFAR100, find_or_download(CIFAR100, root, download), pad_to)


# The datasets this module reads (data/catalog.py lists them by name).
DATASETS = (
    DatasetInfo(
        name="cifar10",
        modality="image",
        description="CIFAR-10: 50,000 train / 10,000 test, 10 classes, 32x32 RGB (python pickle batches)",
        loader=load_cifar10,
        embedded=False,
        locate=lambda root: locate(CIFAR10, root),
        how_to_get=CIFAR10.how_to_get,
    ),
    DatasetInfo(
        name="cifar100",
        modality="image",
        description="CIFAR-100: 50,000 train / 10,000 test, 100 fine classes, 32x32 RGB (python pickle batches)",
        loader=load_cifar100,
        embedded=False,
        locate=lambda root: locate(CIFAR100, root),
        how_to_get=CIFAR100.how_to_get,
    ),
)
