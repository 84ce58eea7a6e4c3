"""`DatasetInfo`: what a loader module says about each dataset it reads (a leaf: the catalogue collects them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from viewmaker_cli.data.splits import Splits


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
    # For data drawn as fresh random windows during pretraining (PAMAP2): a factory
    # (root, device, seed, splits, options) -> object with `sample(batch_size, generator) -> (x, y)` and
    # `spectrograms(x)` (or `spectrogram=None` for raw series). None: train on the prepared tensors.
    sampler: Callable[..., object] | None = None
