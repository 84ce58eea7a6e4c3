"""A sweep launcher's own failure (the scheduler refused the jobs, a job died without a result) as one line
naming the cause, instead of Hydra's traceback through the launcher's frames.

The launcher's exception is caught at its `launch`, the one place it passes through before Hydra prints it;
the one line is printed there and the sweep stops with SystemExit, which Hydra lets through."""

from __future__ import annotations

import contextlib
import io
import sys
from dataclasses import dataclass
from typing import Iterator, Optional


@dataclass
class LauncherFailed:
    message: str
    users_setting: bool  # exit 2 (the user's to fix) or 1 (the cluster's)

    @property
    def exit_code(self) -> int:
        return 2 if self.users_setting else 1


# sbatch refusals that are the cluster's state, not the request's: retrying later may work
TRANSIENT = ("Unable to contact", "timed out", "temporarily", "connect failure", "Socket", "Zero Bytes")


def describe(error: BaseException) -> Optional[LauncherFailed]:
    """The one-line failure for an error a launcher raised, or None when it is not one we know."""
    kind, text = type(error).__name__, str(error)
    if kind == "FailedJobError" and "sbatch" in text:  # submitit: sbatch exited non-zero
        reasons = [line.strip().removeprefix("sbatch: error: ") for line in text.splitlines() if line.strip()]
        reason = "; ".join(dict.fromkeys(reasons))
        if any(marker in text for marker in TRANSIENT):
            return LauncherFailed(f"vmk: error: SLURM did not take the sweep's jobs: {reason}", users_setting=False)
        return LauncherFailed(f"vmk: error: SLURM refused the sweep's jobs: {reason} (see the hydra.launcher.* settings)",
                              users_setting=True)
    if kind == "UncompletedJobError":  # submitit: a job ended without writing its result (killed, timed out)
        # "Job ID (task: N) with path P" / "has not produced any output (state: S)"
        head = " ".join(line.strip() for line in text.splitlines()[:2])
        return LauncherFailed(f"vmk: error: a SLURM job ended without a result: {head}", users_setting=False)
    if 'Could not detect "srun"' in text or (isinstance(error, FileNotFoundError) and str(error.filename) == "sbatch"):
        return LauncherFailed("vmk: error: no SLURM here (srun/sbatch not found): hydra/launcher=slurm needs a machine with SLURM "
                              "(hydra/launcher=submitit_local runs the same jobs on this machine)", users_setting=True)
    return None


@contextlib.contextmanager
def one_line_launcher_failures(failures: list[LauncherFailed]) -> Iterator[None]:
    """While Hydra runs: an error `describe` knows, raised by the launcher Hydra creates, is printed as one
    line, appended to `failures`, and ends the sweep (SystemExit); any other error passes unchanged."""
    from hydra.core.plugins import Plugins

    plugins = Plugins.instance()
    instantiate = plugins.instantiate_launcher

    def instantiate_guarded(*args, **kwargs):
        launcher = instantiate(*args, **kwargs)
        launcher.launch = _guarded(launcher.launch, type(launcher).__module__.startswith("hydra_plugins.hydra_submitit"), failures)
        return launcher

    plugins.instantiate_launcher = instantiate_guarded
    try:
        yield
    finally:
        del plugins.instantiate_launcher  # the class's method again


def _guarded(launch, held_stderr: bool, failures: list[LauncherFailed]):
    def launch_guarded(*args, **kwargs):
        # submitit prints sbatch's error lines itself before raising them: held back, and dropped when the
        # failure is described in one line. The jobs run elsewhere, so nothing else of theirs is held.
        held = io.StringIO()
        failure = None
        try:
            with contextlib.redirect_stderr(held) if held_stderr else contextlib.nullcontext():
                return launch(*args, **kwargs)
        except Exception as error:
            failure = describe(error)
            if failure is None:
                raise
            failures.append(failure)
            print(failure.message, file=sys.stderr)
            raise SystemExit(failure.exit_code) from None
        finally:
            if failure is None and held.getvalue():
                sys.stderr.write(held.getvalue())

    return launch_guarded
