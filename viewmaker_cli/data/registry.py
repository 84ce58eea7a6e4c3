"""Dataset names → loaders. Modules for more datasets add their entries with `register`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from viewmaker_cli.data.fashion_mnist import load_fashion_mnist, load_fashion_mnist_subset
from viewmaker_cli.data.splits import Splits
from viewmaker_cli.errors import UserError


@dataclass(frozen=True)
class DatasetInfo:
    """What `vmk` knows about a dataset before loading it.

    `loader` takes `pad_to` when `modality` is "image", and `root` and `download` unless `embedded`
    (embedded data ships inside the package, so there is nothing to find or fetch).
    """

    name: str
    modality: str
    description: str
    loader: Callable[..., Splits]
    embedded: bool
    # Where the source files are found (`root` as the user gave it, None to search the usual places);
    # None when missing. Used by `vmk data list` and to fingerprint the prepared cache.
    locate: Callable[[str | None], Path | None] | None = None
    # One line telling a user how to get the data (shown when it is missing).
    how_to_get: str = ""


DATASETS: dict[str, DatasetInfo] = {}


def register(info: DatasetInfo) -> None:
    """Add a dataset under `info.name`; a name is registered once."""
    if info.name in DATASETS:
        raise ValueError(f"dataset {info.name!r} is already registered")
    DATASETS[info.name] = info


register(
    DatasetInfo(
        name="fashion_mnist_subset",
        modality="image",
        description="Fashion-MNIST, embedded balanced subset: 6,000 train / 2,000 test, 10 classes, 28x28 grey",
        loader=load_fashion_mnist_subset,
        embedded=True,
    )
)
register(
    DatasetInfo(
        name="fashion_mnist",
        modality="image",
        description="Fashion-MNIST, full: 60,000 train / 10,000 test, 10 classes, 28x28 grey (IDX files)",
        loader=load_fashion_mnist,
        embedded=False,
    )
)


def load_dataset(name: str, root: str | None = None, download: bool = False, pad_to: int | None = 32) -> Splits:
    """Load the registered dataset `name`; `root` and `download` are ignored for embedded data."""
    info = DATASETS.get(name)
    if info is None:
        raise UserError(f"unknown dataset {name!r}; known datasets: {', '.join(sorted(DATASETS))}")
    options: dict[str, object] = {} if info.embedded else {"root": root, "download": download}
    if info.modality == "image":
        options["pad_to"] = pad_to
    return info.loader(**options)
