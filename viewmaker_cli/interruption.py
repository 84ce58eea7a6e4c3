"""A command stopped by Ctrl-C or SIGTERM (core/interrupt.py), told in one line: where it stopped and the
command that goes on from there. A sweep job's results.json is marked "interrupted"; a stopped sweep writes
the table of what finished."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from viewmaker_cli.core.interrupt import Interrupted


def job_stopped(name: str, cfg, stop: Interrupted) -> None:
    """In the job's process, before the stop goes on up: the one line; a sweep job's results.json marked."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from viewmaker_cli.training.run_dir import first_process

    hydra = HydraConfig.get()
    run_dir = Path(hydra.runtime.output_dir)
    overrides = list(hydra.overrides.task)
    what, then = _where(name, run_dir, stop, overrides)
    sweep = hydra.mode == RunMode.MULTIRUN
    stop.reported = True
    if not first_process():  # DDP: rank 0 speaks for the run
        return
    if sweep:
        from omegaconf import OmegaConf

        from viewmaker_cli.reporting.results import write_failure

        write_failure(run_dir, what, OmegaConf.to_container(cfg, resolve=True), "", status="interrupted")
    job = f"job {hydra.job.num} " if sweep else ""
    print(f"vmk: {job}{what}; {then}", file=sys.stderr)


def _where(name: str, run_dir: Path, stop: Interrupted, overrides: list[str]) -> tuple[str, str]:
    """(what happened, what to run next)."""
    signal = stop.signum.name
    again = _command(name, [*overrides, f"hydra.run.dir={run_dir}"])
    if name != "pretrain":
        return f"stopped by {signal}", f"run it again: {again}"
    last = run_dir / "checkpoints" / "last.ckpt"
    resume = _command(name, [f"hydra.run.dir={run_dir}", "resume=true"])  # the dir holds the run's overrides
    if stop.step is not None:
        of = f" of {stop.total}" if stop.total else ""
        return f"interrupted by {signal} at step {stop.step}{of}; checkpoint saved", f"resume: {resume}"
    step = _saved_step(last)
    if step is None:
        return f"interrupted by {signal} before any checkpoint", f"run it again: {again}"
    return f"interrupted by {signal} outside training (checkpoint of step {step} kept, results not written)", f"resume: {resume}"


def _command(name: str, overrides: list[str]) -> str:
    return " ".join(["vmk", name, *map(shlex.quote, overrides)])


def _saved_step(path: Path) -> int | None:
    """The step of the checkpoint at `path`, read without loading its tensors; None when there is none."""
    if not path.is_file():
        return None
    import torch

    try:
        return int(torch.load(path, map_location="cpu", weights_only=True, mmap=True)["global_step"])
    except Exception:  # not readable as a checkpoint: say nothing of its step rather than fail the stop
        return None


def command_stopped(stop: Interrupted, sweep_asked: bool) -> None:
    """In the process that ran the command, as the stop leaves it: one line unless the job said it already; for
    a sweep (once started), the table of the jobs that finished."""
    from viewmaker_cli.reporting.sweep_callback import SweepReport

    sweep = SweepReport.running if sweep_asked else None
    if sweep is None:
        if not stop.reported:
            print(f"vmk: stopped by {stop.signum.name}", file=sys.stderr)
        return
    sweep.finish()
    table = f"; table: {sweep.sweep_dir / 'results.md'}" if (sweep.sweep_dir / "results.md").is_file() else ""
    if "submitit" in sweep.launcher:  # the jobs are SLURM's: they run on without this process
        rest = "the jobs already submitted to SLURM go on (scancel stops them)"
    else:
        rest = "the jobs after them not started"
    print(f"vmk: sweep stopped by {stop.signum.name}: {_sweep_counts(sweep.sweep_dir)}, {rest}{table}", file=sys.stderr)


def _sweep_counts(sweep_dir: Path) -> str:
    import json

    counts: dict[str, int] = {}
    for path in sweep_dir.glob("**/results.json"):
        try:
            status = json.loads(path.read_text()).get("status", "ok")
        except (OSError, ValueError, AttributeError):
            status = "unreadable"
        counts[status] = counts.get(status, 0) + 1
    order = sorted(counts, key=lambda status: (status != "ok", status))  # finished first
    return ", ".join(f"{counts[s]} {'finished' if s == 'ok' else s}" for s in order) or "no job finished"
