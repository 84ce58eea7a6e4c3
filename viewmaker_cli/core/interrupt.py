"""Ctrl-C (SIGINT) and `kill` (SIGTERM) stop a command cleanly, with the exit status a shell gives a process
the signal killed: 128 + its number (130, 143).

- `interruptible()` turns the first of these signals into `Interrupted`, raised wherever the command is
  (loading data, probing, writing results): `finally` blocks run, and atomic writes (core/atomic.py) leave a
  whole file or none.
- While training, training/preemption.py only notes the signal and raises `Interrupted` at the end of the
  step, once that step's checkpoint is saved, so that resuming continues the run exactly.
- Once a stop has begun, further signals are ignored: the checkpoint or the record being written is finished
  (SIGKILL still ends the process at once).

Under SLURM nothing is installed here: SLURM's signals are preemption.py's (checkpoint, requeue), as before.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

from viewmaker_cli.core import slurm

SIGNALS = (signal.SIGINT, signal.SIGTERM)
_state = {"stopping": False}  # a stop has begun in this process: later signals are ignored


class Interrupted(SystemExit):
    """The command was stopped by `signum`. A SystemExit, so `except Exception` handlers (Hydra's, a sweep's
    failed-job marking) let it through. `step`, `total` and `checkpoint` are set when training stopped at a
    step and saved it (on the first process of the run); `reported` once a line said so."""

    reported = False

    def __init__(self, signum: int, step: Optional[int] = None, total: Optional[int] = None,
                 checkpoint: Optional[Path] = None):
        super().__init__(128 + int(signum))
        self.signum = signal.Signals(signum)
        self.step, self.total, self.checkpoint = step, total, checkpoint


def begin_stop() -> None:
    """A stop is under way (training saw a signal): signals from now on are ignored."""
    _state["stopping"] = True


def _raise(signum, frame) -> None:
    if _state["stopping"]:
        return
    _state["stopping"] = True
    raise Interrupted(signum)


@contextmanager
def interruptible() -> Iterator[None]:
    """While inside, the first SIGINT or SIGTERM raises `Interrupted`; the handlers found are put back after.
    Nothing changes in a thread other than the main one (Python handles signals there only) or under SLURM."""
    if threading.current_thread() is not threading.main_thread() or slurm.in_job():
        yield
        return
    previous = {signum: signal.getsignal(signum) for signum in SIGNALS}
    outermost = _raise not in previous.values()
    if outermost:
        _state["stopping"] = False
    for signum in SIGNALS:
        signal.signal(signum, _raise)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if outermost:
            _state["stopping"] = False
