"""At the end of a sweep (`vmk ... -m`), write results.md, results.csv and budget_sweep.png into the sweep
dir: the table of `vmk report SWEEP_DIR`, and the best run by its sweep_metric (best_trial.json). It reads only the jobs' results.json files, so it works with any
launcher (in-process, parallel processes, a cluster) and marks failed jobs instead of stopping."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from viewmaker_cli.core import job_dirname
from viewmaker_cli.errors import UserError
from viewmaker_cli.reporting.failed_jobs import report_failed_results

# A job process of any launcher (parallel, submitit) unpickles this callback before it resolves
# hydra.sweep.subdir, whose resolver lives outside Hydra: register it here, as Hydra registers `now`.
job_dirname.register()


class SweepReport(Callback):
    # This process's sweep, once started: a sweep stopped by a signal never reaches on_multirun_end, and
    # cli.py writes its table through `finish` instead.
    running: SweepReport | None = None

    def __init__(self, enabled: bool = True, plot: bool = True) -> None:
        self.enabled, self.plot = enabled, plot
        self.sweep_dir: Path | None = None
        self.launcher = ""  # the launcher's class, for what a stop leaves running

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        # ${now:...} in the sweep dir is resolved (and cached) now, as the launcher sees it.
        self.sweep_dir = Path(str(config.hydra.sweep.dir))
        self.launcher = str(config.hydra.launcher.get("_target_", ""))
        SweepReport.running = self

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        self.finish(self.sweep_dir or Path(str(config.hydra.sweep.dir)))

    def finish(self, sweep_dir: Path | None = None) -> None:
        """The failed jobs reported and the table written (at the end, or when a signal stopped the sweep)."""
        sweep_dir = sweep_dir or self.sweep_dir
        SweepReport.running = None
        report_failed_results(sweep_dir)  # jobs that failed on other machines count too
        if not self.enabled:
            return
        from viewmaker_cli.reporting.hparams import write_sweep_hparams
        from viewmaker_cli.reporting.report import write_report
        from viewmaker_cli.reporting.sweep_metric import name_best_run
        from viewmaker_cli.reporting.table import find_runs

        try:
            records = find_runs([str(sweep_dir)])  # read once: a damaged results.json is warned about once
            write_report([str(sweep_dir)], write=True, plot=self.plot, compact=True, records=records)
            name_best_run(sweep_dir, records)
            write_sweep_hparams(sweep_dir, records)  # TensorBoard's HPARAMS tab ticks the settings the runs vary
        except UserError as error:
            print(f"vmk: no sweep table: {error}", file=sys.stderr)
        except Exception as error:  # the jobs' results are safe on disk: a table bug must not fail the sweep
            print(f"vmk: the sweep table could not be written ({type(error).__name__}: {error}); "
                  f"run `vmk report {sweep_dir}`", file=sys.stderr)
