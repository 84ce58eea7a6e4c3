"""At the end of a sweep (`vmk ... -m`), write results.md, results.csv and budget_sweep.png into the sweep
dir: the table of `vmk report SWEEP_DIR`. It reads only the jobs' results.json files, so it works with any
launcher (in-process, parallel processes, a cluster) and marks failed jobs instead of stopping."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from viewmaker_cli.errors import UserError
from viewmaker_cli.reporting.failed_jobs import report_failed_results


class SweepReport(Callback):
    def __init__(self, enabled: bool = True, plot: bool = True) -> None:
        self.enabled, self.plot = enabled, plot
        self.sweep_dir: Path | None = None

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        # ${now:...} in the sweep dir is resolved (and cached) now, as the launcher sees it.
        self.sweep_dir = Path(str(config.hydra.sweep.dir))

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = self.sweep_dir or Path(str(config.hydra.sweep.dir))
        report_failed_results(sweep_dir)  # jobs that failed on other machines count too
        if not self.enabled:
            return
        from viewmaker_cli.reporting.hparams import write_sweep_hparams
        from viewmaker_cli.reporting.report import write_report

        try:
            write_sweep_hparams(sweep_dir)  # TensorBoard's HPARAMS tab ticks the settings the runs vary
            write_report([str(sweep_dir)], write=True, plot=self.plot)
        except UserError as error:
            print(f"vmk: no sweep table: {error}", file=sys.stderr)
        except Exception as error:  # the jobs' results are safe on disk: a table bug must not fail the sweep
            print(f"vmk: the sweep table could not be written ({type(error).__name__}: {error}); "
                  f"run `vmk report {sweep_dir}`", file=sys.stderr)
