"""Shared fixtures for the image dataset tests: an empty $VMK_DATA and writers of CIFAR's real file format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.data.images.cifar_files import CifarWriter, cifar_images, py2_pickle


@pytest.fixture(autouse=True)
def vmk_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty $VMK_DATA, so no copy on this machine is found by accident."""
    home = tmp_path / "vmk-data"
    monkeypatch.setenv("VMK_DATA", str(home))
    return home


@pytest.fixture
def write_cifar10() -> CifarWriter:
    """Writes `cifar-10-batches-py/` under a folder: 5 train batches of `per_batch` rows and a test batch."""

    def write(parent: Path, per_batch: int = 3, n_test: int = 4) -> dict[str, np.ndarray]:
        folder = parent / "cifar-10-batches-py"
        folder.mkdir(parents=True)
        train_x, train_y = [], []
        for i in range(1, 6):
            x = cifar_images(per_batch, seed=i)
            y = [(i + j) % 10 for j in range(per_batch)]
            batch = {b"batch_label": f"training batch {i} of 5", b"labels": y, b"data": x, b"filenames": [b"a"]}
            py2_pickle(batch, folder / f"data_batch_{i}")
            train_x.append(x)
            train_y += y
        test_x, test_y = cifar_images(n_test, seed=9), [(9 - j) % 10 for j in range(n_test)]
        py2_pickle({b"batch_label": "testing batch 1 of 1", b"labels": test_y, b"data": test_x}, folder / "test_batch")
        names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
        py2_pickle({b"num_cases_per_batch": 10000, b"label_names": names, b"num_vis": 3072}, folder / "batches.meta")
        return {
            "train_x": np.concatenate(train_x),
            "train_y": np.array(train_y),
            "test_x": test_x,
            "test_y": np.array(test_y),
        }

    return write
