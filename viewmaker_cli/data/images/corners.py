"""CIFAR-10-Corners (paper §4.1.2): mosaics whose four 16x16 quadrants come from four different images.

The top-left quadrant is the base image's own; the other three are taken from three random images
at the same positions. With few shared features across quadrants, a good view function must learn to
keep the quadrants apart rather than fuse them.
"""

from __future__ import annotations

import torch

from viewmaker_cli.data.images.arrays import pad_nchw
from viewmaker_cli.data.images.cifar import CIFAR10, find_or_download, locate, read_cifar
from viewmaker_cli.data.info import DatasetInfo
from viewmaker_cli.data.splits import Splits

NAME = "cifar10_corners"
NUM_MOSAICS = 50_000  # as many as CIFAR-10 has training images
SEED = 0


def corner_mosaic(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Mosaics of a batch [B, C, H, W]: item i keeps its top-left quadrant and takes its top-right,
    bottom-right and bottom-left quadrants from three random other items of the batch.

    Partners are drawn from `generator` (on its own device) and the quadrants copied in three batched
    gathers, so it runs on any device without a loop over items.
    """
    if x.ndim != 4:
        raise ValueError(f"corner_mosaic expects [B, C, H, W], got shape {tuple(x.shape)}")
    batch, _, height, width = x.shape
    top, left = height // 2, width // 2
    if batch > 1:
        # Offsets 1..B-1 from each item: a partner is never the base image itself.
        offsets = torch.randint(1, batch, (3, batch), generator=generator, device=generator.device)
        partners = ((torch.arange(batch, device=generator.device) + offsets) % batch).to(x.device)
    else:
        partners = torch.zeros(3, batch, dtype=torch.long, device=x.device)
    out = x.clone()
    out[:, :, :top, left:] = x[partners[0], :, :top, left:]  # top-right
    out[:, :, top:, left:] = x[partners[1], :, top:, left:]  # bottom-right
    out[:, :, top:, :left] = x[partners[2], :, top:, :left]  # bottom-left
    return out


def load_cifar10_corners(
    root: str | None = None,
    download: bool = False,
    pad_to: int | None = None,
    num_mosaics: int = NUM_MOSAICS,
    seed: int = SEED,
) -> Splits:
    """CIFAR-10-Corners: a fixed set of `num_mosaics` training mosaics; the test split is plain CIFAR-10.

    The authors draw a fresh mosaic for every item fetched (the index is ignored); a fixed set built
    once from `seed` is a seeded approximation that keeps training free of per-item CPU work.
    Each mosaic's base (top-left) image comes from a shuffled pass over the train set, and its label
    is kept as the mosaic's label; the paper's training labels are dummy zeros that nothing uses.
    """
    cifar = read_cifar(CIFAR10, find_or_download(CIFAR10, root, download), pad_to=None, name=NAME)
    generator = torch.Generator().manual_seed(seed)
    n = len(cifar.train_x)
    # Shuffled passes over the train set: with 50,000 mosaics every image is a base exactly once, and
    # partners (drawn among the bases) are then always other images.
    passes = [torch.randperm(n, generator=generator) for _ in range(-(-num_mosaics // n))]
    bases = torch.cat(passes)[:num_mosaics]
    mosaics = corner_mosaic(cifar.train_x[bases], generator)

    def pad(x: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(pad_nchw(x.numpy(), pad_to))

    return Splits(
        name=NAME,
        modality="image",
        train_x=pad(mosaics),
        train_y=cifar.train_y[bases],
        test_x=pad(cifar.test_x),
        test_y=cifar.test_y,
        num_classes=cifar.num_classes,
        class_names=cifar.class_names,
        source=cifar.source,
        meta={"mosaic_seed": seed, "num_mosaics": num_mosaics, "train_labels": "label of the top-left image"},
    )


# The datasets this module reads (data/catalog.py lists them by name).
DATASETS = (
    DatasetInfo(
        name=NAME,
        modality="image",
        description=(
            "CIFAR-10-Corners: 50,000 seeded train mosaics of 4 CIFAR-10 quadrants (label = top-left image's; "
            "the paper uses no train labels) / the 10,000 plain CIFAR-10 test images"
        ),
        loader=load_cifar10_corners,
        embedded=False,
        locate=lambda root: locate(CIFAR10, root),
        how_to_get=CIFAR10.how_to_get,
    ),
)
