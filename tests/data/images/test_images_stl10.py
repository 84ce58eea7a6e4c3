"""STL-10 from fixture binary files in the release's column-major layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from viewmaker_cli.data.images import stl10
from viewmaker_cli.errors import UserError

NAMES = ["airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck"]


def upright(n: int, seed: int) -> np.ndarray:
    """[n, 3, 96, 96] images with an asymmetric mark: bright top row, mid-grey left column."""
    images = np.random.default_rng(seed).integers(0, 100, size=(n, 3, 96, 96), dtype=np.uint8)
    images[:, :, 0, :] = 255
    images[:, :, 1:, 0] = 128
    return images


def write_bin(path: Path, images: np.ndarray) -> None:
    """As the release stores them: each channel flattened column by column (Fortran order)."""
    with open(path, "wb") as out:
        for image in images:
            for channel in image:
                out.write(channel.flatten(order="F").tobytes())


def write_stl10(parent: Path) -> dict[str, np.ndarray]:
    folder = parent / "stl10_binary"
    folder.mkdir(parents=True)
    arrays = {"train": upright(4, 0), "test": upright(3, 1)}
    labels = {"train": [1, 10, 5, 2], "test": [10, 3, 1]}
    for split in ("train", "test"):
        write_bin(folder / f"{split}_X.bin", arrays[split])
        np.array(labels[split], dtype=np.uint8).tofile(folder / f"{split}_y.bin")
    (folder / "class_names.txt").write_text("\n".join(NAMES) + "\n")
    return arrays


def test_upright_with_labels_0_to_9(tmp_path: Path) -> None:
    arrays = write_stl10(tmp_path)
    splits = stl10.load_stl10(root=str(tmp_path), pad_to=32)  # already bigger: no padding
    assert splits.train_x.shape == (4, 3, 96, 96) and splits.train_x.dtype == torch.uint8
    assert (splits.train_x[:, :, 0, :] == 255).all() and (splits.train_x[:, :, 1:, 0] == 128).all()
    np.testing.assert_array_equal(splits.train_x.numpy(), arrays["train"])
    np.testing.assert_array_equal(splits.test_x.numpy(), arrays["test"])
    assert splits.train_y.tolist() == [0, 9, 4, 1] and splits.test_y.tolist() == [9, 2, 0]
    assert splits.class_names == NAMES
    assert splits.source == str((tmp_path / "stl10_binary").resolve())


def test_unlabeled_is_skipped_unless_asked(tmp_path: Path) -> None:
    write_stl10(tmp_path)
    unlabeled = tmp_path / "stl10_binary" / stl10.UNLABELED
    unlabeled.write_bytes(b"not images")  # would fail if read
    assert stl10.load_stl10(root=str(tmp_path)).train_x.shape[0] == 4
    with pytest.raises(UserError, match=str(unlabeled)):
        stl10.load_stl10_unlabeled(root=str(tmp_path))
    write_bin(unlabeled, upright(2, 5))
    assert (stl10.load_stl10_unlabeled(root=str(tmp_path))[:, :, 0] == 255).all()


def test_truncated_images_and_labels(tmp_path: Path) -> None:
    write_stl10(tmp_path)
    images = tmp_path / "stl10_binary" / "test_X.bin"
    full = images.read_bytes()
    images.write_bytes(full[:-100])
    with pytest.raises(UserError, match=f"{images}.*truncated"):
        stl10.load_stl10(root=str(tmp_path))
    images.write_bytes(full)
    labels = tmp_path / "stl10_binary" / "train_y.bin"
    labels.write_bytes(labels.read_bytes()[:-1])
    with pytest.raises(UserError, match=f"{labels}.*4 labels"):
        stl10.load_stl10(root=str(tmp_path))


def test_missing_lists_paths(tmp_path: Path) -> None:
    with pytest.raises(UserError) as caught:
        stl10.load_stl10(root=str(tmp_path))
    message = str(caught.value)
    assert str(tmp_path / "stl10_binary") in message and str(tmp_path / "stl10" / "stl10_binary") in message
    assert stl10.URL in message and "data.root=" in message
