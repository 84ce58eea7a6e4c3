"""CIFAR-10-C from .npy files in the release's layout, and its robustness numbers."""

import numpy as np
import pytest
import torch

from viewmaker_cli.errors import UserError
from viewmaker_cli.evaluation.cifar10c import read_cifar10c
from viewmaker_cli.evaluation.corruptions import CORRUPTIONS
from viewmaker_cli.evaluation.robustness import cifar10c

N = 4  # test images per severity (10,000 in the release)


def write_release(folder, wrong=()):
    """`<corruption>.npy` uint8 [5N, 32, 32, 3] and labels.npy uint8 [5N], as make_cifar_c.py saves them.

    Pixel (0, 0, 0) of every image holds its label, so a classifier reading it is right; in the corruptions
    named in `wrong` it is off by one at severities 4 and 5."""
    folder.mkdir(parents=True, exist_ok=True)
    labels = np.tile(np.array([3, 1, 4, 1], dtype=np.uint8), 5)
    np.save(folder / "labels.npy", labels)
    rng = np.random.default_rng(0)
    arrays = {}
    for i, name in enumerate(CORRUPTIONS):
        images = rng.integers(0, 256, size=(5 * N, 32, 32, 3), dtype=np.uint8)
        images[:, 0, 0, 0] = labels
        images[:, 0, 0, 1] = np.repeat(np.arange(1, 6), N)  # the severity, to check the blocks
        images[:, 5, 7, 2] = i  # the file, to check the order
        if name in wrong:
            images[3 * N :, 0, 0, 0] = (labels[3 * N :] + 1) % 10
        np.save(folder / f"{name}.npy", images)
        arrays[name] = images
    return labels, arrays


def test_every_file_is_read_in_severity_blocks_as_nchw(tmp_path):
    labels, arrays = write_release(tmp_path / "CIFAR-10-C")
    seen = []
    for name, severity, x, y in read_cifar10c(tmp_path, severities=(1, 2, 3, 4, 5)):  # found in the subfolder
        assert x.shape == (N, 3, 32, 32) and x.dtype == torch.uint8 and y.dtype == torch.int64
        block = arrays[name][(severity - 1) * N : severity * N]
        assert torch.equal(x, torch.from_numpy(block).permute(0, 3, 1, 2))
        assert (x[:, 1, 0, 0] == severity).all() and y.tolist() == labels[:N].tolist()
        seen.append((name, severity))
    assert seen == [(name, s) for name in CORRUPTIONS for s in range(1, 6)]


def test_robustness_numbers_from_the_files(tmp_path):
    write_release(tmp_path, wrong=("fog", "pixelate"))
    predict = lambda x: x[:, 0, 0, 0].long()  # noqa: E731  (reads the label the fixture wrote)
    clean_x = torch.zeros(5, 3, 32, 32, dtype=torch.uint8)
    clean_x[:, 0, 0, 0] = torch.tensor([0, 1, 2, 3, 4])
    clean_y = torch.tensor([0, 1, 2, 3, 9])  # 4 of 5 right
    metrics, protocol = cifar10c(predict, str(tmp_path), clean_x, clean_y, [1, 2, 3, 4, 5])
    assert metrics["cifar10c/clean_top1"] == pytest.approx(80.0)
    assert metrics["cifar10c/fog_top1"] == pytest.approx(60.0) and metrics["cifar10c/snow_top1"] == pytest.approx(100.0)
    assert metrics["cifar10c/severity5_top1"] == pytest.approx(100 * 13 / 15)
    assert metrics["cifar10c/corrupted_top1"] == pytest.approx(100 - 2 * 40 / 15)
    assert metrics["cifar10c/drop"] == pytest.approx(80 - (100 - 2 * 40 / 15))
    assert protocol["examples_per_severity"] == N and protocol["severities"] == [1, 2, 3, 4, 5]


def test_missing_or_malformed_files_are_one_line_errors(tmp_path):
    with pytest.raises(UserError, match="CIFAR-10-C not found .*labels.npy"):
        next(read_cifar10c(tmp_path))
    write_release(tmp_path / "c")
    np.save(tmp_path / "c" / "frost.npy", np.zeros((5 * N, 32, 32), dtype=np.uint8))
    with pytest.raises(UserError, match=r"frost.npy: expected uint8 \[20, 32, 32, 3\]"):
        list(read_cifar10c(tmp_path / "c"))
    (tmp_path / "c" / "frost.npy").write_bytes(b"not numpy")
    with pytest.raises(UserError, match="frost.npy: not a readable .npy file"):
        list(read_cifar10c(tmp_path / "c"))
