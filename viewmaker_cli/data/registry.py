"""Dataset names → loaders. Modules for more datasets add their entries with `register`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from viewmaker_cli.data import cache
from viewmaker_cli.data.fashion_mnist import load_fashion_mnist, load_fashion_mnist_subset, locate_fashion_mnist
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
    # For data drawn as fresh random windows during pretraining (PAMAP2): a factory
    # (root, device, seed, splits, options) -> object with `sample(batch_size, generator) -> (x, y)` and
    # `spectrograms(x)` (or `spectrogram=None` for raw series). None: train on the prepared tensors.
    sampler: Callable[..., object] | None = None


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
        locate=locate_fashion_mnist,
        how_to_get="apt-get install dataset-fashion-mnist, or data.download=true, or data.root=DIR with the four IDX files",
    )
)


def get_info(name: str) -> DatasetInfo:
    info = DATASETS.get(name)
    if info is None:
        raise UserError(f"unknown dataset {name!r}; known datasets: {', '.join(sorted(DATASETS))} (see vmk data list)")
    return info


def loader_options(info: DatasetInfo, root: str | None, download: bool, pad_to: int | None, extra: dict | None = None) -> dict:
    options: dict[str, object] = {**(extra or {})}
    if not info.embedded:
        options.update(root=root, download=download)
    if info.modality == "image":
        options["pad_to"] = pad_to
    return options


def config_options(data: Mapping, modality: str) -> dict:
    """The loader options a `data` config section asks for: data.options, plus, for tensor_file, the file
    and the run's modality. Shared by `vmk pretrain` and `vmk probe`, so both read the same splits."""
    options = dict(data.get("options") or {})
    if data["name"] == "tensor_file":
        options.update(path=data.get("path"), modality=modality)
    return options


def call_loader(info: DatasetInfo, options: dict) -> Splits:
    """The loader with `options`; an option it does not take is the user's to fix, in one line."""
    import inspect

    accepted = inspect.signature(info.loader).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values()):
        unknown = sorted(set(options) - set(accepted) - {"root", "download", "pad_to"})
        if unknown:
            known = sorted(set(accepted) - {"root", "download", "pad_to"})
            raise UserError(f"data={info.name} does not take data.options {unknown} (it takes: {', '.join(known) or 'none'})")
        options = {k: v for k, v in options.items() if k in accepted}
    return info.loader(**options)


def load_dataset(
    name: str,
    root: str | None = None,
    download: bool = False,
    pad_to: int | None = 32,
    use_cache: bool = True,
    options: dict | None = None,
) -> Splits:
    """Load the registered dataset `name`: from the prepared cache when its sources are unchanged, else
    prepared from the sources (and cached). Embedded data is read directly."""
    info = get_info(name)
    options = loader_options(info, root, download, pad_to, options)
    if info.embedded or info.locate is None or not use_cache:
        return call_loader(info, options)
    source = info.locate(root)
    splits = None
    if source is None:  # missing: the loader downloads it or raises its own "not found" message
        splits = call_loader(info, options)
        source = info.locate(root)
        if source is None:
            return splits
    key = {k: v for k, v in options.items() if k not in ("root", "download")}
    stamp = cache.fingerprint(source, key)
    path = cache.cache_path(name, {**key, "source": str(source)})
    if splits is None:
        splits = cache.load(path, stamp)
        if splits is not None:
            return splits
        splits = call_loader(info, options)
    cache.save(path, splits, stamp)
    return splits


# The modality packages register their datasets on import; at the end, since they import `register`.
import viewmaker_cli.data.images  # noqa: E402,F401
from viewmaker_cli.data.tensor_file import load_tensor_file  # noqa: E402

register(
    DatasetInfo(
        name="tensor_file",
        modality="any",
        description="any array file: data.path=FILE (.npy/.npz/.pt, [N,C,H,W] or [N,C,T], labels optional)",
        loader=load_tensor_file,
        embedded=True,  # nothing to search for or cache: the file is read as it is
        how_to_get="your own file: data=tensor_file data.path=FILE",
    )
)
import viewmaker_cli.data.sensor  # noqa: E402,F401
import viewmaker_cli.data.speech  # noqa: E402,F401
