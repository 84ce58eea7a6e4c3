"""Any folder of images sorted into one sub-folder per class: `root/train/<class>/*`, `root/test/<class>/*`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from viewmaker_cli.core.progress import track
from viewmaker_cli.data.images.arrays import image_splits
from viewmaker_cli.data.images.locate import first_dir, not_found, search_dirs
from viewmaker_cli.data.info import DatasetInfo
from viewmaker_cli.data.splits import Splits
from viewmaker_cli.errors import UserError

NAME = "image_folder"
EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm"}
TEST_FOLDERS = ("test", "val")  # the first present is the test split
HOW_TO_GET = "set data.root=DIR to a folder with train/<class>/*.png|jpg and test/<class>/* (or val/<class>/*)"


def _dirs(root: str | None) -> list[Path]:
    return search_dirs(NAME, root)


def locate(root: str | None = None) -> Path | None:
    """The folder holding a `train/` folder of class folders, or None."""
    return first_dir(_dirs(root), lambda d: (d / "train").is_dir())


def _visible(path: Path) -> bool:
    return not path.name.startswith(".")


def _class_dirs(split_dir: Path) -> dict[str, Path]:
    return {d.name: d for d in sorted(split_dir.iterdir()) if d.is_dir() and _visible(d)}


def _images_in(class_dir: Path) -> list[Path]:
    return sorted(p for p in class_dir.rglob("*") if p.suffix.lower() in EXTENSIONS and p.is_file() and _visible(p))


def decode(path: Path, size: int) -> np.ndarray:
    """One image as uint8 RGB [3, size, size]: shorter side resized to `size`, then centre-cropped."""
    try:
        with Image.open(path) as image:
            image = image.convert("RGB")
            width, height = image.size
            scale = size / min(width, height)
            # Rounded like torchvision's Resize, never below the crop size.
            new_w, new_h = max(size, round(width * scale)), max(size, round(height * scale))
            image = image.resize((new_w, new_h), Image.Resampling.BILINEAR)
            left, top = (new_w - size) // 2, (new_h - size) // 2
            image = image.crop((left, top, left + size, top + size))
            return np.asarray(image, dtype=np.uint8).transpose(2, 0, 1)
    except (OSError, ValueError, Image.DecompressionBombError) as error:  # UnidentifiedImageError is an OSError
        raise UserError(f"cannot decode the image {path} ({error}); delete or replace it") from error


def _read_split(split_dir: Path, classes: list[str], size: int) -> tuple[np.ndarray, np.ndarray]:
    found = _class_dirs(split_dir)
    unknown = sorted(set(found) - set(classes))
    if unknown:
        raise UserError(
            f"{split_dir} has class folders {', '.join(unknown)} that train/ lacks; "
            "give every class a folder in train/ too"
        )
    index = {name: i for i, name in enumerate(classes)}
    items = [(path, index[name]) for name, d in found.items() for path in _images_in(d)]
    if not items:
        raise UserError(
            f"no images in {split_dir}/<class>/ (looked for {', '.join(sorted(EXTENSIONS))}); "
            "put each class's images in its own sub-folder"
        )
    images = np.empty((len(items), 3, size, size), dtype=np.uint8)
    for i, (path, _) in enumerate(track(items, f"decoding {split_dir.name} images", total=len(items), unit="image")):
        images[i] = decode(path, size)
    return images, np.array([label for _, label in items], dtype=np.int64)


def load_image_folder(
    root: str | None = None, download: bool = False, pad_to: int | None = None, image_size: int = 32
) -> Splits:
    """Images from `root/train/<class>/` and `root/test/<class>/` (or `val/`), uint8 RGB [N, 3, S, S].

    Classes are the sorted names of train/'s sub-folders. `download` is ignored: there is nothing to fetch.
    """
    del download
    if image_size < 1:
        raise UserError(f"image_size must be a positive number of pixels, not {image_size}")
    directory = locate(root)
    if directory is None:
        raise not_found("image folder", _dirs(root), "train/<class>/*", HOW_TO_GET)
    classes = list(_class_dirs(directory / "train"))
    if not classes:
        raise UserError(f"{directory / 'train'} has no class sub-folders; put each class's images in train/<class>/")
    test_dir = next((directory / t for t in TEST_FOLDERS if (directory / t).is_dir()), None)
    if test_dir is None:
        looked = " or ".join(str(directory / t) for t in TEST_FOLDERS)
        raise UserError(f"no test split: looked for {looked}; add test/<class>/ folders (or val/<class>/)")
    train = _read_split(directory / "train", classes, image_size)
    test = _read_split(test_dir, classes, image_size)
    meta = {"image_size": image_size, "test_folder": test_dir.name}
    return image_splits(NAME, train, test, classes, str(directory.resolve()), pad_to, meta)


# The datasets this module reads (data/catalog.py lists them by name).
DATASETS = (
    DatasetInfo(
        name=NAME,
        modality="image",
        description="Your own images: root/train/<class>/* and root/test/<class>/* (or val/), resized to 32x32 RGB",
        loader=load_image_folder,
        embedded=False,
        locate=locate,
        how_to_get=HOW_TO_GET,
    ),
)
