"""MNIST (LeCun et al.) from its four IDX files, named as Fashion-MNIST's."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from viewmaker_cli.data.download import download_file
from viewmaker_cli.data.idx import read_idx
from viewmaker_cli.data.images.arrays import image_splits
from viewmaker_cli.data.images.locate import download_dir, first_dir, not_found, search_dirs
from viewmaker_cli.data.info import DatasetInfo
from viewmaker_cli.data.splits import Splits
from viewmaker_cli.errors import UserError

NAME = "mnist"
# train images, train labels, test images, test labels
FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
# yann.lecun.com refuses automated downloads; torchvision's mirror serves the identical .gz files.
URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
CLASS_NAMES = [str(digit) for digit in range(10)]
HOW_TO_GET = (
    "set data.root=DIR to a folder holding the four MNIST IDX files (from http://yann.lecun.com/exdb/mnist/ "
    f"or {URL}), or data.download=true"
)


def _file(directory: Path, name: str) -> Path | None:
    """`name` in `directory`, gzip-compressed or not (users often gunzip them)."""
    return next((p for p in (directory / name, directory / name.removesuffix(".gz")) if p.is_file()), None)


def _dirs(root: str | None) -> list[Path]:
    return search_dirs(NAME, root, inner=("MNIST/raw",))  # torchvision's layout


def locate(root: str | None = None) -> Path | None:
    """The folder holding the four MNIST files, or None."""
    return first_dir(_dirs(root), lambda d: all(_file(d, n) for n in FILES))


def _read_split(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise UserError(f"{images_path} holds {images.dtype} {images.shape}, not uint8 images [N, H, W]")
    if labels.shape != (len(images),):
        raise UserError(
            f"{labels_path} holds {labels.shape} labels for the {len(images)} images of {images_path}; "
            "use the label file of the same split"
        )
    return images[:, None], labels  # one grey channel


def load_mnist(root: str | None = None, download: bool = False, pad_to: int | None = None) -> Splits:
    """MNIST: 60,000 train / 10,000 test grey digits uint8 [N, 1, 28, 28], zero-padded to `pad_to`."""
    directory = locate(root)
    if directory is None and download:
        target = download_dir(NAME, root)
        for name in FILES:
            if _file(target, name) is None:
                download_file(URL + name, MD5[name], target / name, "MNIST")
        directory = locate(root)
    if directory is None:
        raise not_found("MNIST", _dirs(root), ", ".join(f"{n.removesuffix('.gz')}[.gz]" for n in FILES), HOW_TO_GET)
    paths = [_file(directory, name) for name in FILES]
    train = _read_split(paths[0], paths[1])  # type: ignore[arg-type]
    test = _read_split(paths[2], paths[3])  # type: ignore[arg-type]
    return image_splits(NAME, train, test, CLASS_NAMES, str(directory.resolve()), pad_to)


# The datasets this module reads (data/catalog.py lists them by name).
DATASETS = (
    DatasetInfo(
        name=NAME,
        modality="image",
        description="MNIST: 60,000 train / 10,000 test, 10 digits, 28x28 grey (IDX files)",
        loader=load_mnist,
        embedded=False,
        locate=locate,
        how_to_get=HOW_TO_GET,
    ),
)
