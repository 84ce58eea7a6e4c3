"""The one number a run returns to a Hydra sweeper (`sweep_metric=`, probe_top1 by default), and the best run of
a sweep by it: `hydra/sweeper=optuna` maximises the first; the end of every sweep names the second."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

from viewmaker_cli.core.atomic import atomic_write_text
from viewmaker_cli.reporting.aggregate import failed, flat_metrics

log = logging.getLogger("vmk")
BEST_FILE = "best_trial.json"


def headline(metrics: dict, name: str) -> float:
    """metrics[name] as a float; NaN (a failed trial to Optuna) when the run has no such number, said in one line."""
    flat = flat_metrics(metrics)
    if name not in flat:
        log.warning("sweep_metric=%s: this run has no such metric (it has: %s); returning NaN", name, ", ".join(sorted(flat)) or "none")
        return math.nan
    return flat[name]


def name_best_run(sweep_dir: Path, records: list[dict]) -> dict | None:
    """The run with the highest sweep_metric (each run's own setting) among `records` (reporting.table.find_runs
    of `sweep_dir`): printed in one line and written to best_trial.json; None when no run has it."""
    scored = []
    for record in records:
        if failed(record):
            continue
        name = (record.get("config") or {}).get("sweep_metric", "probe_top1")
        value = flat_metrics(record.get("metrics")).get(name)
        if value is not None:
            scored.append((value, name, record))
    if not scored:
        return None
    value, name, record = max(scored, key=lambda item: item[0])
    best = {"run": record["_run"], "metric": name, "value": value, "overrides": record.get("_overrides") or []}
    atomic_write_text(Path(sweep_dir) / BEST_FILE, json.dumps(best, indent=2) + "\n")
    print(f"best trial: {best['run']} ({name} = {value:.4g}; {' '.join(best['overrides'])}) -> {Path(sweep_dir) / BEST_FILE}")
    return best
