"""The data catalogue: every dataset name → its `DatasetInfo`, and loading a dataset by name.

The one place that knows every loader: it imports the loader modules and collects the `DATASETS` each
declares. Loaders know nothing of it (no registration on import, no import back), so data/ has no circle.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping

from viewmaker_cli.data import cache, fashion_mnist, tensor_file
from viewmaker_cli.data.images import cifar, corners, image_folder, mnist, stl10, svhn
from viewmaker_cli.data.info import DatasetInfo
from viewmaker_cli.data.sensor import basic_motions, pamap2, ts_file
from viewmaker_cli.data.speech import audiomnist, fluent_speech, librispeech, speech_commands, spoken_digits, voxceleb1
from viewmaker_cli.data.splits import Splits
from viewmaker_cli.errors import UserError

# Each loader module lists the datasets it reads; this order is `vmk data list`'s.
LOADER_MODULES = (
    fashion_mnist,
    cifar, corners, image_folder, mnist, stl10, svhn,
    tensor_file,
    basic_motions, pamap2, ts_file,
    audiomnist, fluent_speech, librispeech, speech_commands, spoken_digits, voxceleb1,
)  # fmt: skip


def collect(modules) -> dict[str, DatasetInfo]:
    """Name → info over every module's `DATASETS`; a name is declared once."""
    catalogue: dict[str, DatasetInfo] = {}
    for module in modules:
        for info in module.DATASETS:
            if info.name in catalogue:
                raise ValueError(f"dataset {info.name!r} is declared twice ({module.__name__})")
            catalogue[info.name] = info
    return catalogue


DATASETS: dict[str, DatasetInfo] = collect(LOADER_MODULES)


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
    and the run's modality (for ts_file, the file). Shared by `vmk pretrain` and `vmk probe`, so both read the same splits."""
    options = dict(data.get("options") or {})
    if data["name"] == "tensor_file":
        options.update(path=data.get("path"), modality=modality)
    if data["name"] == "ts_file":
        options.update(path=data.get("path"))
    return options


def data_config(name: str) -> dict:
    """The `data` block a command composes for `data=<name>` (conf/data/<name>.yaml, its defaults list
    followed by Hydra) over the DataConfig schema, as a plain dict; the schema's defaults for a dataset
    without a YAML of its own."""
    from hydra.errors import MissingConfigException
    from omegaconf import OmegaConf

    from viewmaker_cli.config import DataConfig, compose_group

    try:
        data = compose_group("data", name)
    except MissingConfigException:
        data = {"name": name}
    return OmegaConf.to_container(OmegaConf.merge(OmegaConf.structured(DataConfig), data))


def load_configured(data: Mapping, modality: str) -> Splits:
    """The splits a composed `data` config section names. `vmk pretrain`, `vmk probe` and `vmk data prepare`
    all load through here, so they read and write the same prepared cache entry."""
    return load_dataset(data["name"], root=data["root"], download=data["download"], pad_to=data["pad_to"],
                        options=config_options(data, modality))


def call_loader(info: DatasetInfo, options: dict) -> Splits:
    """The loader with `options`; an option it does not take is the user's to fix, in one line."""
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
