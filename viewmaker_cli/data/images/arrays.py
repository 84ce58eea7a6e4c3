"""From uint8 numpy arrays to `Splits`: zero-padding to a size and the checks every image loader shares."""

from __future__ import annotations

import numpy as np
import torch

from viewmaker_cli.data.fashion_mnist import pad_images
from viewmaker_cli.data.splits import Splits


def pad_nchw(images: np.ndarray, size: int | None) -> np.ndarray:
    """Zero-pad uint8 [N, C, H, W] images, centred, to size x size; unchanged when None or already as big."""
    n, c, height, width = images.shape
    if size is None or (height >= size and width >= size):
        return images
    # Fashion-MNIST's padding works on [N, H, W]: fold the channels into N.
    padded = pad_images(images.reshape(n * c, height, width), max(size, height, width))
    return padded.reshape(n, c, *padded.shape[1:])


def image_splits(
    name: str,
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    class_names: list[str],
    source: str,
    pad_to: int | None,
    meta: dict | None = None,
) -> Splits:
    """Splits from (images uint8 [N, C, H, W], labels [N]) pairs, padded to `pad_to`."""

    def images(x: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(pad_nchw(x, pad_to)))

    def labels(y: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.asarray(y).astype(np.int64).reshape(-1))

    return Splits(
        name=name,
        modality="image",
        train_x=images(train[0]),
        train_y=labels(train[1]),
        test_x=images(test[0]),
        test_y=labels(test[1]),
        num_classes=len(class_names),
        class_names=list(class_names),
        source=source,
        meta=dict(meta or {}),
    )
