"""MNIST from fixture IDX files named as the originals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from viewmaker_cli.data.idx import write_idx
from viewmaker_cli.data.images import mnist
from viewmaker_cli.errors import UserError


def write_mnist(directory: Path) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    arrays = {
        "train_x": rng.integers(1, 256, size=(6, 28, 28), dtype=np.uint8),
        "train_y": np.array([5, 0, 4, 1, 9, 2], dtype=np.uint8),
        "test_x": rng.integers(1, 256, size=(3, 28, 28), dtype=np.uint8),
        "test_y": np.array([7, 2, 1], dtype=np.uint8),
    }
    directory.mkdir(parents=True, exist_ok=True)
    for name, array in zip(mnist.FILES, arrays.values(), strict=True):
        write_idx(directory / name, array)
    return arrays


def test_round_trip_padded(tmp_path: Path) -> None:
    arrays = write_mnist(tmp_path)
    splits = mnist.load_mnist(root=str(tmp_path), pad_to=32)
    assert splits.train_x.shape == (6, 1, 32, 32) and splits.train_x.dtype == torch.uint8
    np.testing.assert_array_equal(splits.train_x[:, 0, 2:30, 2:30].numpy(), arrays["train_x"])
    assert int(splits.train_x[:, :, :2].sum()) == 0
    assert splits.train_y.tolist() == [5, 0, 4, 1, 9, 2] and splits.test_y.tolist() == [7, 2, 1]
    assert splits.class_names == [str(d) for d in range(10)]
    assert mnist.load_mnist(root=str(tmp_path)).train_x.shape == (6, 1, 28, 28)


def test_torchvision_layout_and_vmk_data(tmp_path: Path, vmk_data: Path) -> None:
    write_mnist(tmp_path / "MNIST" / "raw")
    assert mnist.load_mnist(root=str(tmp_path)).test_x.shape == (3, 1, 28, 28)
    write_mnist(vmk_data / "mnist")
    assert mnist.locate() == vmk_data / "mnist"


def test_missing_lists_paths(tmp_path: Path) -> None:
    with pytest.raises(UserError) as caught:
        mnist.load_mnist(root=str(tmp_path))
    message = str(caught.value)
    assert str(tmp_path / "MNIST" / "raw") in message and str(tmp_path / "mnist") in message
    assert "MNIST not found" in message and "data.root=" in message and "t10k-labels-idx1-ubyte" in message


def test_truncated_file_is_named(tmp_path: Path) -> None:
    write_mnist(tmp_path)
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(UserError, match=str(path)):
        mnist.load_mnist(root=str(tmp_path))
