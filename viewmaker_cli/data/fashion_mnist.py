"""Fashion-MNIST (Zalando Research, MIT/Expat): the full 60k/10k set from disk, or the embedded subset."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from viewmaker_cli.data.download import download_file
from viewmaker_cli.data.idx import read_idx, write_idx
from viewmaker_cli.data.info import DatasetInfo
from viewmaker_cli.data.splits import Splits
from viewmaker_cli.errors import UserError

NAME = "fashion_mnist"
# Image and label files of the train and test splits, in the order of `save_fashion_mnist`'s arguments.
FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
# MD5s of the .gz files as served at URL (published in the dataset's README); downloads must match.
GZ_MD5 = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
# MD5s of the decompressed files. Repackaged copies (Debian's) are recompressed, so only these
# identify the original data whatever the compression.
RAW_MD5 = {
    "train-images-idx3-ubyte.gz": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
    "train-labels-idx1-ubyte.gz": "9018921c3c673c538a1fc5bad174d6f9",
    "t10k-images-idx3-ubyte.gz": "8181f5470baa50b63fa0f6fddb340f0a",
    "t10k-labels-idx1-ubyte.gz": "15d484375f8d13e6eb1aabb0c3f46965",
}
CLASS_NAMES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]  # fmt: skip
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")  # apt-get install dataset-fashion-mnist
EMBEDDED_DIR = Path(__file__).parent / "embedded" / "fashion-mnist-subset"


def data_home() -> Path:
    """Where vmk keeps downloaded data: $VMK_DATA, default ~/.cache/vmk/data."""
    return Path(os.environ.get("VMK_DATA") or "~/.cache/vmk/data").expanduser()


def search_dirs(root: str | Path | None = None) -> list[Path]:
    """The folders looked in, in order: `root` if given, else $VMK_DATA/fashion-mnist then Debian's.

    Each folder is also tried with torchvision's layout, `FashionMNIST/raw/` below it, and a
    given `root` may be a folder of datasets that holds `fashion-mnist/`.
    """
    if root is not None:
        root = Path(root).expanduser()
        bases = [root, root / "fashion-mnist"]
    else:
        bases = [data_home() / "fashion-mnist", DEBIAN_DIR]
    return [d for base in bases for d in (base, base / "FashionMNIST" / "raw")]


def _find_file(directory: Path, name: str) -> Path | None:
    """`name` (a .gz name) in `directory`, compressed or not."""
    for candidate in (directory / name, directory / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    return None


def _find(dirs: list[Path]) -> tuple[Path, list[Path]] | None:
    """The first folder holding all four files, and their paths."""
    for directory in dirs:
        paths = [_find_file(directory, name) for name in FILES]
        if all(paths):
            return directory, paths  # type: ignore[return-value]
    return None


def _not_found(dirs: list[Path]) -> UserError:
    looked = ", ".join(str(d) for d in dirs)
    files = ", ".join(f"{name.removesuffix('.gz')}[.gz]" for name in FILES)
    return UserError(
        f"Fashion-MNIST not found: looked for {files} in {looked}; fix: set data.root=DIR to a folder "
        "holding them, or data.download=true, or `apt-get install dataset-fashion-mnist`"
    )


def download_fashion_mnist(directory: str | Path) -> None:
    """Download the files missing from `directory` from the official address, checking their MD5s."""
    directory = Path(directory).expanduser()
    for name in FILES:
        if _find_file(directory, name) is None:
            download_file(URL + name, GZ_MD5[name], directory / name, "Fashion-MNIST")


def pad_images(images: np.ndarray, size: int) -> np.ndarray:
    """Zero-pad [N, H, W] images to [N, size, size], centred (an odd margin's extra row goes last)."""
    n, height, width = images.shape
    if size < height or size < width:
        raise UserError(
            f"pad_to={size} is smaller than the {height}x{width} images; use pad_to >= {max(height, width)} or null"
        )
    top, left = (size - height) // 2, (size - width) // 2
    return np.pad(images, ((0, 0), (top, size - height - top), (left, size - width - left)))


def _read_split(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise UserError(
            f"{images_path} holds {images.dtype} {images.shape}, not uint8 images [N, H, W]; is it an image file?"
        )
    if labels.ndim != 1 or len(labels) != len(images):
        raise UserError(
            f"{labels_path} holds {labels.shape} labels for the {len(images)} images of {images_path}; "
            "use the label file of the same split"
        )
    return images, labels


def _load_dir(name: str, directory: Path, paths: list[Path], pad_to: int | None) -> Splits:
    """Build Splits from the four IDX files `paths` (in the order of FILES)."""
    (train_x, train_y), (test_x, test_y) = _read_split(*paths[:2]), _read_split(*paths[2:])
    if pad_to is not None:
        train_x, test_x = pad_images(train_x, pad_to), pad_images(test_x, pad_to)
    return Splits(
        name=name,
        modality="image",
        train_x=torch.from_numpy(train_x).unsqueeze(1),
        train_y=torch.from_numpy(train_y.astype(np.int64)),
        test_x=torch.from_numpy(test_x).unsqueeze(1),
        test_y=torch.from_numpy(test_y.astype(np.int64)),
        num_classes=len(CLASS_NAMES),
        class_names=list(CLASS_NAMES),
        source=str(directory.resolve()),
    )


def locate_fashion_mnist(root: str | None = None) -> Path | None:
    """The folder holding the four full Fashion-MNIST files, or None."""
    found = _find(search_dirs(root))
    return found[0] if found else None


def load_fashion_mnist(root: str | None = None, download: bool = False, pad_to: int | None = 32) -> Splits:
    """The full Fashion-MNIST, 60k train / 10k test, uint8 [N, 1, 28, 28] (zero-padded to `pad_to`).

    Looked for in `search_dirs(root)`; when absent and `download` is true, fetched into `root`
    (or $VMK_DATA/fashion-mnist). The paper's protocol pads to 32x32; `pad_to=None` keeps 28x28.
    """
    dirs = search_dirs(root)
    found = _find(dirs)
    if found is None and download:
        download_fashion_mnist(dirs[0])
        found = _find(dirs)
    if found is None:
        raise _not_found(dirs)
    return _load_dir(NAME, *found, pad_to=pad_to)


def load_fashion_mnist_subset(pad_to: int | None = 32) -> Splits:
    """The embedded class-balanced subset: 6,000 train (600/class) and 2,000 test (200/class) images."""
    found = _find([EMBEDDED_DIR])
    if found is None:
        raise UserError(
            f"the embedded Fashion-MNIST subset is missing from {EMBEDDED_DIR}; reinstall vmk "
            "(or rebuild it with scripts/build_embedded_fashion_mnist.py)"
        )
    return _load_dir(f"{NAME}_subset", *found, pad_to=pad_to)


def save_fashion_mnist(
    directory: str | Path,
    train_images: np.ndarray,
    train_labels: np.ndarray,
    test_images: np.ndarray,
    test_labels: np.ndarray,
) -> None:
    """Write uint8 images [N, H, W] and labels [N] as the four Fashion-MNIST .gz files in `directory`."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name, array in zip(FILES, (train_images, train_labels, test_images, test_labels), strict=True):
        write_idx(directory / name, np.asarray(array, dtype=np.uint8))


# The datasets this module reads (data/catalog.py lists them by name).
DATASETS = (
    DatasetInfo(
        name="fashion_mnist_subset",
        modality="image",
        description="Fashion-MNIST, embedded balanced subset: 6,000 train / 2,000 test, 10 classes, 28x28 grey",
        loader=load_fashion_mnist_subset,
        embedded=True,
    ),
    DatasetInfo(
        name="fashion_mnist",
        modality="image",
        description="Fashion-MNIST, full: 60,000 train / 10,000 test, 10 classes, 28x28 grey (IDX files)",
        loader=load_fashion_mnist,
        embedded=False,
        locate=locate_fashion_mnist,
        how_to_get="apt-get install dataset-fashion-mnist, or data.download=true, or data.root=DIR with the four IDX files",
    ),
)
