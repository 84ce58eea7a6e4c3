"""A setting no schema has (a typo, another objective's key, a pretraining key given to `vmk probe`), said as
one line that names the closest real setting, instead of OmegaConf's "Key 'x' not in 'SomeConfig'"."""

from __future__ import annotations

import dataclasses
import difflib

from viewmaker_cli.config import PretrainConfig


def unknown_key_message(command: str, error: BaseException) -> str | None:
    """The line for `error` (Hydra's composition error and its causes) when it is an unknown key; else None."""
    cause = error
    while cause is not None and not _is_unknown_key(cause):
        cause = cause.__cause__
    if cause is None:
        return None
    full_key, schema = cause.full_key, cause.object_type
    parent, _, key = full_key.rpartition(".")
    if not dataclasses.is_dataclass(schema):  # a free-form dict (data.options): keys are added, not set
        return f"unknown setting {full_key}: {parent} has no such key yet; add one with +{full_key}=VALUE"
    known = [field.name for field in dataclasses.fields(schema)]
    text = f"unknown setting {full_key}"
    others = []
    if parent == "objective" and "name" in known:  # one objective's schema: another may have the key
        text += f" for objective={schema().name}"
        others = _objectives_with(key)
    if others:
        text += f" ({', '.join(others)} {'has' if len(others) == 1 else 'have'} it: objective={others[0]})"
    elif not parent and "ckpt" in known and key in _pretrain_keys():
        text += f" for vmk {command}: it is the pretraining run's, read from the checkpoint"
    else:
        close = difflib.get_close_matches(key.lower(), known, n=1, cutoff=0.6)
        if close:
            text += f" (did you mean {parent + '.' if parent else ''}{close[0]}?)"
    return f"{text}; `vmk {command} --cfg job` lists every setting"


def _is_unknown_key(error: BaseException) -> bool:
    from omegaconf.errors import ConfigAttributeError, ConfigKeyError

    return isinstance(error, (ConfigAttributeError, ConfigKeyError)) and bool(getattr(error, "full_key", None))


def _objectives_with(key: str) -> list[str]:
    from viewmaker_cli.objectives.configs import CONFIGS

    return [name for name, schema in CONFIGS.items() if key in {field.name for field in dataclasses.fields(schema)}]


def _pretrain_keys() -> set[str]:
    return {field.name for field in dataclasses.fields(PretrainConfig)}
