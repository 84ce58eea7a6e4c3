"""CIFAR-10-C (Hendrycks & Dietterich 2019) read from its release: `<corruption>.npy` uint8 [5n, 32, 32, 3]
holding the n test images at severity 1, then 2, ... 5 (n = 10,000), and `labels.npy` [5n]."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from viewmaker_cli.errors import UserError
from viewmaker_cli.evaluation.corruptions import CORRUPTIONS, SEVERITIES

HOW_TO_GET = "download CIFAR-10-C.tar from https://zenodo.org/record/2535967 and untar it"


def find_root(root: str | Path) -> Path:
    """`root` or its `CIFAR-10-C/` subfolder, whichever holds labels.npy and the 15 corruption files."""
    base = Path(root).expanduser()
    for candidate in (base, base / "CIFAR-10-C"):
        missing = [f"{name}.npy" for name in ("labels", *CORRUPTIONS) if not (candidate / f"{name}.npy").is_file()]
        if not missing:
            return candidate
    raise UserError(
        f"probe.cifar10c_root={root}: CIFAR-10-C not found (missing {', '.join(missing[:3])}"
        f"{' ...' if len(missing) > 3 else ''} in {base} and {base / 'CIFAR-10-C'}); {HOW_TO_GET}"
    )


def _load(path: Path) -> np.ndarray:
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as error:
        raise UserError(f"{path}: not a readable .npy file ({error})") from None


def read_labels(root: Path) -> np.ndarray:
    labels = _load(root / "labels.npy")
    if labels.ndim != 1 or len(labels) % 5 or not len(labels):
        raise UserError(f"{root / 'labels.npy'}: expected [5n] labels (5 severities of n images), got {labels.shape}")
    return np.asarray(labels).astype(np.int64)


def read_cifar10c(
    root: str | Path, severities: tuple[int, ...] = SEVERITIES, names: tuple[str, ...] = tuple(CORRUPTIONS)
) -> Iterator[tuple[str, int, torch.Tensor, torch.Tensor]]:
    """(corruption, severity, images uint8 [n, 3, 32, 32], labels int64 [n]) for every file and severity,
    one severity block in memory at a time."""
    root = find_root(root)
    labels = read_labels(root)
    n = len(labels) // 5
    for name in names:
        path = root / f"{name}.npy"
        images = _load(path)
        if images.dtype != np.uint8 or images.shape != (5 * n, 32, 32, 3):
            raise UserError(
                f"{path}: expected uint8 [{5 * n}, 32, 32, 3] (as labels.npy: 5 severities x {n}), "
                f"got {images.dtype} {list(images.shape)}"
            )
        for severity in severities:
            block = slice((severity - 1) * n, severity * n)
            x = torch.from_numpy(np.array(images[block])).permute(0, 3, 1, 2).contiguous()  # a copy: memmaps are read-only
            yield name, severity, x, torch.from_numpy(labels[block].copy())
