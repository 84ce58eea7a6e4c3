"""`vmk report DIR...`: print one Markdown table of all runs and write results.md / results.csv."""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig

from viewmaker_cli.errors import UserError
from viewmaker_cli.reporting.results import atomic_write_text
from viewmaker_cli.reporting.table import csv_text, find_runs, markdown


def run(cfg: DictConfig) -> None:
    dirs = list(cfg.dirs)
    if not dirs:
        raise UserError("no directory given: vmk report DIR [DIR...] (e.g. vmk report outputs/multirun)")
    records = find_runs(dirs)
    if not records:
        raise UserError(f"no results.json found under {', '.join(dirs)}")
    table = markdown(records)
    print(table, end="")
    if cfg.write:
        out = Path(dirs[0]).expanduser()
        atomic_write_text(out / "results.md", table)
        atomic_write_text(out / "results.csv", csv_text(records))
        print(f"\nwrote {out / 'results.md'} and {out / 'results.csv'} ({len(records)} runs)")
