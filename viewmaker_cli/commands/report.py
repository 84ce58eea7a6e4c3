"""`vmk report DIR...`: print one table of every run found and write results.md / results.csv / budget_sweep.png."""

from __future__ import annotations

from omegaconf import DictConfig

from viewmaker_cli.reporting.report import write_report
from viewmaker_cli.validation import check_report


def run(cfg: DictConfig) -> None:
    check_report(cfg)
    write_report(list(cfg.dirs), write=cfg.write, plot=cfg.plot)
