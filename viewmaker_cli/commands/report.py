"""`vmk report DIR...`: print one table of every run found and write results.md / results.csv / budget_sweep.png."""

from __future__ import annotations

from omegaconf import DictConfig

from viewmaker_cli.reporting.report import write_report


def run(cfg: DictConfig) -> None:
    write_report(list(cfg.dirs), write=cfg.write, plot=cfg.plot)
