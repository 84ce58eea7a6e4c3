"""Build the Fashion-MNIST subset embedded in vmk from the full, original files.

Run from the repository root (with vmk importable, e.g. installed with `pip install -e .`):

    python scripts/build_embedded_fashion_mnist.py [--source DIR] [--out DIR]

It takes, with a fixed seed, 600 train images per class from the 60k train split and 200 test
images per class from the 10k test split, keeps them in their original order, and writes the
four IDX .gz files (byte-for-byte reproducible). The LICENSE and README next to them are kept by hand.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
from pathlib import Path

import numpy as np

from viewmaker_cli.data import fashion_mnist as fm

TRAIN_PER_CLASS = 600
TEST_PER_CLASS = 200
SEED = 0


def balanced_indices(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """`per_class` random indices of each label, ascending."""
    picks = [rng.choice(np.flatnonzero(labels == c), per_class, replace=False) for c in np.unique(labels)]
    return np.sort(np.concatenate(picks))


def check_original(directory: Path) -> None:
    """Refuse anything but the original data: the decompressed MD5s must match."""
    for name in fm.FILES:
        path = directory / name
        if path.exists():
            data = gzip.decompress(path.read_bytes())
        else:
            path = directory / name.removesuffix(".gz")
            data = path.read_bytes()
        if hashlib.md5(data).hexdigest() != fm.RAW_MD5[name]:
            raise SystemExit(f"{path}: not the original Fashion-MNIST file (decompressed MD5 differs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", help="folder with the full files (default: vmk's usual search)")
    parser.add_argument("--out", type=Path, default=fm.EMBEDDED_DIR, help="where to write the subset")
    args = parser.parse_args()

    full = fm.load_fashion_mnist(root=args.source, pad_to=None)
    check_original(Path(full.source))
    rng = np.random.default_rng(SEED)
    train = balanced_indices(full.train_y.numpy(), TRAIN_PER_CLASS, rng)
    test = balanced_indices(full.test_y.numpy(), TEST_PER_CLASS, rng)
    fm.save_fashion_mnist(
        args.out,
        full.train_x[train, 0].numpy(),
        full.train_y[train].numpy(),
        full.test_x[test, 0].numpy(),
        full.test_y[test].numpy(),
    )
    total = sum((args.out / name).stat().st_size for name in fm.FILES)
    print(f"wrote {len(train)} train + {len(test)} test images from {full.source} to {args.out}: {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
