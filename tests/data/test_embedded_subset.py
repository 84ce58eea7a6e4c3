"""The Fashion-MNIST subset shipped inside the package."""

from __future__ import annotations

import pytest
import torch

from viewmaker_cli.data import fashion_mnist as fm


@pytest.fixture(scope="module")
def subset() -> fm.Splits:
    return fm.load_fashion_mnist_subset(pad_to=None)


def test_shapes_and_balance() -> None:
    splits = fm.load_fashion_mnist_subset()
    assert splits.train_x.shape == (6000, 1, 32, 32) and splits.test_x.shape == (2000, 1, 32, 32)
    assert splits.train_x.dtype == torch.uint8 and splits.name == "fashion_mnist_subset"
    assert splits.train_y.bincount(minlength=10).tolist() == [600] * 10
    assert splits.test_y.bincount(minlength=10).tolist() == [200] * 10
    assert splits.train_x.float().mean() > 10 and splits.test_x.float().mean() > 10


def test_licence_ships_with_the_data() -> None:
    licence = (fm.EMBEDDED_DIR / "LICENSE").read_text()
    assert "Zalando SE" in licence and "MIT" in licence


@pytest.mark.skipif(not fm.DEBIAN_DIR.is_dir(), reason="dataset-fashion-mnist is not installed")
def test_every_image_is_a_real_one_with_its_label(subset: fm.Splits) -> None:
    full = fm.load_fashion_mnist(root=str(fm.DEBIAN_DIR), pad_to=None)
    for split in ("train", "test"):
        labels_of: dict[bytes, set[int]] = {}
        for image, label in zip(getattr(full, f"{split}_x").numpy(), getattr(full, f"{split}_y").tolist()):
            labels_of.setdefault(image.tobytes(), set()).add(label)
        for image, label in zip(getattr(subset, f"{split}_x").numpy(), getattr(subset, f"{split}_y").tolist()):
            assert label in labels_of.get(image.tobytes(), set())
