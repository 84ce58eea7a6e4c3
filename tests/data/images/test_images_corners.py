"""CIFAR-10-Corners: the batched mosaic function and the registered dataset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from tests.data.images.cifar_files import CifarWriter
from viewmaker_cli.data import DATASETS
from viewmaker_cli.data.images import corners

TL, TR, BR, BL = 0, 1, 2, 3


def tagged(batch: int) -> torch.Tensor:
    """Images whose pixels read 10 * image index + quadrant id, so a mosaic shows where each part came from."""
    x = torch.empty(batch, 3, 32, 32, dtype=torch.uint8)
    for quadrant, (rows, cols) in {TL: (slice(0, 16), slice(0, 16)), TR: (slice(0, 16), slice(16, 32)),
                                   BR: (slice(16, 32), slice(16, 32)), BL: (slice(16, 32), slice(0, 16))}.items():
        x[:, :, rows, cols] = (torch.arange(batch) * 10 + quadrant).view(-1, 1, 1, 1).to(torch.uint8)
    return x


def test_quadrants_come_from_the_right_images() -> None:
    x = tagged(20)
    out = corners.corner_mosaic(x, torch.Generator().manual_seed(1))
    assert out.shape == x.shape and out.dtype == x.dtype
    sources = []
    for quadrant, (rows, cols) in {TL: (slice(0, 16), slice(0, 16)), TR: (slice(0, 16), slice(16, 32)),
                                   BR: (slice(16, 32), slice(16, 32)), BL: (slice(16, 32), slice(0, 16))}.items():
        part = out[:, :, rows, cols].flatten(1)
        assert (part == part[:, :1]).all()  # one source image per quadrant
        values = part[:, 0].long()
        assert (values % 10 == quadrant).all()  # the same quadrant of its source
        sources.append(values // 10)
    assert (sources[TL] == torch.arange(20)).all()  # top-left: the base image
    for partner in sources[1:]:
        assert (partner != torch.arange(20)).all()  # others: different images
    assert len(set(sources[TR].tolist())) > 5  # random, not a fixed shift
    assert torch.equal(x, tagged(20))  # input untouched


def test_deterministic_for_a_seed() -> None:
    x = tagged(16)
    first = corners.corner_mosaic(x, torch.Generator().manual_seed(3))
    again = corners.corner_mosaic(x, torch.Generator().manual_seed(3))
    other = corners.corner_mosaic(x, torch.Generator().manual_seed(4))
    assert torch.equal(first, again) and not torch.equal(first, other)


def test_dataset(tmp_path: Path, write_cifar10: CifarWriter) -> None:
    arrays = write_cifar10(tmp_path)
    splits = corners.load_cifar10_corners(root=str(tmp_path), num_mosaics=12)
    assert splits.name == "cifar10_corners" and splits.train_x.shape == (12, 3, 32, 32)
    images = torch.from_numpy(arrays["train_x"].reshape(-1, 3, 32, 32))
    for mosaic, label in zip(splits.train_x, splits.train_y, strict=True):
        # The top-left quadrant is one train image's, and the label is that image's.
        base = [i for i in range(len(images)) if torch.equal(images[i, :, :16, :16], mosaic[:, :16, :16])]
        assert len(base) == 1 and label == int(arrays["train_y"][base[0]])
        assert any(torch.equal(images[i, :, :16, 16:], mosaic[:, :16, 16:]) for i in range(len(images)) if i != base[0])
    assert len(set(splits.train_y.tolist())) > 1
    assert corners.load_cifar10_corners(root=str(tmp_path), num_mosaics=33).train_x.shape[0] == 33  # > 15 images
    # The test split is plain CIFAR-10.
    np.testing.assert_array_equal(splits.test_x.numpy(), arrays["test_x"].reshape(-1, 3, 32, 32))
    again = corners.load_cifar10_corners(root=str(tmp_path), num_mosaics=12)
    assert torch.equal(again.train_x, splits.train_x)  # a fixed, seeded set
    assert "top-left" in DATASETS["cifar10_corners"].description
