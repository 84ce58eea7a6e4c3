"""Runs → configurations: the runs of one configuration differ only in `seed`; each metric is the mean and
the sample standard deviation (n − 1) over the configuration's successful runs."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

SEED_KEY = "seed"


def failed(record: dict) -> bool:
    """A run without results: it failed, or a signal stopped it ("interrupted")."""
    return record.get("status") in ("failed", "interrupted")


def flat_metrics(metrics: dict, prefix: str = "") -> dict[str, float]:
    """Numeric metrics as a flat dict; nested dicts (per-dataset, per-corruption) get "a/b" names."""
    out: dict[str, float] = {}
    for key, value in (metrics or {}).items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flat_metrics(value, f"{name}/"))
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            out[name] = float(value)
    return out


def mean_std(values: list[float]) -> tuple[float | None, float | None]:
    """Mean and sample standard deviation (n − 1); std is None for a single value, both None for none."""
    if not values:
        return None, None
    mean = sum(values) / len(values)
    if len(values) == 1:
        return mean, None
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


@dataclass
class Group:
    """One configuration: its runs (failed ones included) in table order."""

    records: list[dict]
    label: str = ""
    overrides: list[str] = field(default_factory=list)  # the label's parts, e.g. ["budget=0.02"]

    @property
    def ok(self) -> list[dict]:
        return [r for r in self.records if not failed(r)]

    @property
    def failures(self) -> list[dict]:
        return [r for r in self.records if failed(r)]

    @property
    def first(self) -> dict:
        """The record the protocol columns are read from: a successful run when there is one."""
        return (self.ok or self.records)[0]

    def metric_names(self) -> list[str]:
        names: dict[str, None] = {}
        for record in self.ok:
            names.update(dict.fromkeys(flat_metrics(record.get("metrics", {}))))
        return list(names)

    def stats(self, name: str) -> tuple[float | None, float | None, int]:
        values = [m[name] for m in (flat_metrics(r.get("metrics", {})) for r in self.ok) if name in m]
        mean, std = mean_std(values)
        return mean, std, len(values)

    def seeds(self) -> list:
        return [r.get("config", {}).get(SEED_KEY) for r in self.records]


def config_key(record: dict) -> str:
    """Identity of a run's configuration: its resolved config without the seed."""
    config = {k: v for k, v in (record.get("config") or {}).items() if k != SEED_KEY}
    return json.dumps(config, sort_keys=True, default=str)


def group_runs(records: list[dict]) -> list[Group]:
    """Groups in order of their first run; each labelled by what sets it apart from the others."""
    groups: dict[str, Group] = {}
    for record in records:
        groups.setdefault(config_key(record), Group([])).records.append(record)
    out = list(groups.values())
    _label(out)
    return out


def _override_key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


def _label(groups: list[Group]) -> None:
    """Label = the group's command-line overrides (from .hydra/overrides.yaml) that not every group shares,
    without the seed; runs without that file (or with other defaults) fall back to the config values
    that differ between groups."""
    overrides = [g.first.get("_overrides") for g in groups]
    if all(o is not None for o in overrides):
        own = [[o for o in g if _override_key(o) != SEED_KEY] for g in overrides]
        common = set.intersection(*(set(o) for o in own)) if own else set()
        parts = [[o for o in g if o not in common] for g in own]
        if len({tuple(sorted(p)) for p in parts}) == len(groups):  # the overrides tell the groups apart
            for group, p in zip(groups, parts):
                group.overrides, group.label = p, " ".join(p)
            return
    flat = [_flatten({k: v for k, v in (g.first.get("config") or {}).items() if k != SEED_KEY}) for g in groups]
    keys = sorted({k for f in flat for k in f})
    differing = [k for k in keys if len({json.dumps(f.get(k), default=str) for f in flat}) > 1]
    for group, f in zip(groups, flat):
        group.overrides = [f"{k}={f.get(k)}" for k in differing]
        group.label = " ".join(group.overrides)


def _flatten(config: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in config.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out
