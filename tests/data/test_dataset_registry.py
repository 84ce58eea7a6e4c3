"""The catalogue maps names to loaders and explains unknown names."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from viewmaker_cli.data import DATASETS, load_dataset
from viewmaker_cli.data.fashion_mnist import save_fashion_mnist
from viewmaker_cli.errors import UserError


def test_known_names() -> None:
    assert {"fashion_mnist_subset", "fashion_mnist"} <= set(DATASETS)
    assert DATASETS["fashion_mnist_subset"].embedded and not DATASETS["fashion_mnist"].embedded
    assert all(info.modality in ("image", "audio", "sensor", "any") and info.description for info in DATASETS.values())


def test_embedded_loads_and_ignores_root(tmp_path: Path) -> None:
    splits = load_dataset("fashion_mnist_subset", root=str(tmp_path), pad_to=None)
    assert splits.input_shape == (1, 28, 28)


def test_full_loads_from_root(tmp_path: Path) -> None:
    images = np.full((10, 28, 28), 7, dtype=np.uint8)
    labels = np.arange(10, dtype=np.uint8)
    save_fashion_mnist(tmp_path, images, labels, images[:5], labels[:5])
    splits = load_dataset("fashion_mnist", root=str(tmp_path))
    assert splits.name == "fashion_mnist" and splits.train_x.shape == (10, 1, 32, 32)


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(UserError, match="unknown dataset 'cifar11'.*fashion_mnist, fashion_mnist_subset"):
        load_dataset("cifar11")
