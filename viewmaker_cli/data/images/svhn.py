"""SVHN, cropped digits (Netzer et al. 2011), from `train_32x32.mat` and `test_32x32.mat`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.io

from viewmaker_cli.data.download import download_file
from viewmaker_cli.data.images.arrays import image_splits
from viewmaker_cli.data.images.locate import download_dir, first_dir, has_files, not_found, search_dirs
from viewmaker_cli.data.info import DatasetInfo
from viewmaker_cli.data.splits import Splits
from viewmaker_cli.errors import UserError

NAME = "svhn"
URL = "http://ufldl.stanford.edu/housenumbers/"
MD5 = {"train_32x32.mat": "e26dedcc434d2e4c54c9b2d4a06d8373", "test_32x32.mat": "eb5a983be6a315427106f1b164d9cef3"}
FILES = tuple(MD5)
CLASS_NAMES = [str(digit) for digit in range(10)]
HOW_TO_GET = f"set data.root=DIR to a folder holding {' and '.join(FILES)} (from {URL}), or data.download=true"


def _dirs(root: str | None) -> list[Path]:
    return search_dirs(NAME, root)


def locate(root: str | None = None) -> Path | None:
    """The folder holding both SVHN .mat files, or None."""
    return first_dir(_dirs(root), has_files(*FILES))


def read_svhn_mat(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images uint8 [N, 3, 32, 32] and labels 0..9 from one SVHN .mat file."""
    try:
        contents = scipy.io.loadmat(path, variable_names=["X", "y"])
    except Exception as error:  # noqa: BLE001 - scipy reports damaged files with many exception types
        raise UserError(
            f"cannot read {path} ({type(error).__name__}: {error}): the file is truncated or corrupt; "
            "replace it with an original copy"
        ) from error
    x, y = contents.get("X"), contents.get("y")
    if not isinstance(x, np.ndarray) or x.ndim != 4 or x.shape[:3] != (32, 32, 3):
        raise UserError(f"{path} has no image array X of shape [32, 32, 3, N]; is it an SVHN *_32x32.mat file?")
    y = np.asarray(y).reshape(-1) if isinstance(y, np.ndarray) else np.empty(0)
    if len(y) != x.shape[3] or not np.isin(y, np.arange(1, 11)).all():
        raise UserError(
            f"{path} needs one label in 1..10 per image ({x.shape[3]} images); replace it with an original copy"
        )
    # MATLAB order [H, W, C, N] to [N, C, H, W]; label 10 stands for the digit 0.
    images = np.ascontiguousarray(x.transpose(3, 2, 0, 1)).astype(np.uint8, copy=False)
    return images, y.astype(np.int64) % 10


def load_svhn(root: str | None = None, download: bool = False, pad_to: int | None = None) -> Splits:
    """SVHN: 73,257 train / 26,032 test RGB digits uint8 [N, 3, 32, 32]; labels are the digits 0..9."""
    directory = locate(root)
    if directory is None and download:
        target = download_dir(NAME, root)
        for name in FILES:
            if not (target / name).is_file():
                download_file(URL + name, MD5[name], target / name, "SVHN")
        directory = locate(root)
    if directory is None:
        raise not_found("SVHN", _dirs(root), ", ".join(FILES), HOW_TO_GET)
    train, test = (read_svhn_mat(directory / name) for name in FILES)
    return image_splits(NAME, train, test, CLASS_NAMES, str(directory.resolve()), pad_to)


# The datasets this module reads (data/catalog.py lists them by name).
DATASETS = (
    DatasetInfo(
        name=NAME,
        modality="image",
        description="SVHN cropped digits: 73,257 train / 26,032 test, 10 classes, 32x32 RGB (.mat files)",
        loader=load_svhn,
        embedded=False,
        locate=locate,
        how_to_get=HOW_TO_GET,
    ),
)
