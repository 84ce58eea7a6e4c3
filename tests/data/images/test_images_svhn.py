"""SVHN from fixture MATLAB files laid out as `train_32x32.mat` / `test_32x32.mat`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.io
import torch

from viewmaker_cli.data.images import svhn
from viewmaker_cli.errors import UserError


def write_svhn(directory: Path) -> dict[str, np.ndarray]:
    """X as [H, W, C, N] uint8 and y as [N, 1] labels 1..10, like the originals."""
    rng = np.random.default_rng(0)
    arrays = {}
    for split, labels in (("train", [10, 1, 2, 9, 10]), ("test", [3, 10])):
        x = rng.integers(0, 256, size=(32, 32, 3, len(labels)), dtype=np.uint8)
        y = np.array(labels, dtype=np.uint8).reshape(-1, 1)
        directory.mkdir(parents=True, exist_ok=True)
        scipy.io.savemat(directory / f"{split}_32x32.mat", {"X": x, "y": y})
        arrays[split] = x
    return arrays


def test_round_trip_and_label_10_is_0(tmp_path: Path) -> None:
    arrays = write_svhn(tmp_path)
    splits = svhn.load_svhn(root=str(tmp_path))
    assert splits.train_x.shape == (5, 3, 32, 32) and splits.train_x.dtype == torch.uint8
    assert splits.train_y.tolist() == [0, 1, 2, 9, 0] and splits.test_y.tolist() == [3, 0]
    x = arrays["train"]
    # X[row, col, channel, i] is pixel (row, col) of image i.
    assert splits.train_x[3, 2, 5, 17] == x[5, 17, 2, 3]
    np.testing.assert_array_equal(splits.test_x[1].numpy(), arrays["test"][:, :, :, 1].transpose(2, 0, 1))
    assert splits.class_names[0] == "0" and splits.num_classes == 10


def test_missing_and_truncated(tmp_path: Path, vmk_data: Path) -> None:
    with pytest.raises(UserError, match=f"SVHN not found.*{vmk_data / 'svhn'}.*ufldl.stanford.edu"):
        svhn.load_svhn()
    write_svhn(tmp_path)
    path = tmp_path / "test_32x32.mat"
    path.write_bytes(path.read_bytes()[:3000])
    with pytest.raises(UserError, match=f"{path}"):
        svhn.load_svhn(root=str(tmp_path))


def test_label_out_of_range(tmp_path: Path) -> None:
    write_svhn(tmp_path)
    scipy.io.savemat(tmp_path / "test_32x32.mat", {"X": np.zeros((32, 32, 3, 1), np.uint8), "y": np.array([[0]])})
    with pytest.raises(UserError, match="labels? in 1..10"):
        svhn.load_svhn(root=str(tmp_path))
