"""Progress of every long phase (training, embedding, probes, data preparation) on stderr, in one style.

When stderr is a terminal: a tqdm bar there, with the count, the elapsed time and the ETA. Elsewhere (CI
logs, a job's log file): no redraws, which would fill the log with carriage returns, but plain lines on
stdout, where the run's log lines go (stderr stays for errors): one when the phase starts, one when it ends
with its duration, and, where asked (`lines_every`), one every such share of the total with the ETA.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import IO, TypeVar

from tqdm import tqdm

T = TypeVar("T")


def on_terminal(stream: IO | None = None) -> bool:
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def eta_seconds(done: int, total: int | None, elapsed: float, initial: int = 0) -> float | None:
    """Seconds left at the rate of the work done so far in this process (`initial`: done before it, e.g.
    the steps of a resumed run); None while nothing is done or the total is unknown."""
    if total is None or done <= initial:
        return None
    return max(0.0, elapsed / (done - initial) * (total - done))


def duration(seconds: float) -> str:
    """1.2 s, 2 min 05 s, 1 h 02 min."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def plural(unit: str, count: int | float | None) -> str:
    if count == 1 or unit == "MiB":
        return unit
    return unit + ("es" if unit.endswith(("tch", "sh", "s", "x")) else "s")  # batches, epochs


class Progress:
    """One phase of `total` units: call `update(k)` or `set(n)` as work is done, then `close()` (or use it
    as a context manager). `initial`: units already done when the phase starts (a resumed run)."""

    def __init__(
        self, description: str, total: int | None = None, unit: str = "it", initial: int = 0,
        lines_every: float | None = None, stream: IO | None = None, clock: Callable[[], float] = time.monotonic,
    ):
        self.description, self.total, self.unit, self.initial = description, total, unit, initial
        if stream is None:
            stream = sys.stderr if on_terminal(sys.stderr) else sys.stdout
        self.stream = stream
        self.clock, self.started = clock, clock()
        self.n, self.postfix, self.closed = initial, "", False
        self.first: tuple[int, float] | None = None  # (count, time) when the first update came
        self.lines_every = lines_every
        self._next_line = self._line_after(initial)
        self.bar = None
        if on_terminal(self.stream):
            # shutil falls back to 100x24 where a terminal reports no size (a pty without one): tqdm would
            # draw nothing there
            size = shutil.get_terminal_size((100, 24))
            self.bar = tqdm(total=total, initial=initial, desc=description, unit=unit, file=self.stream,
                            ncols=size.columns, nrows=size.lines, leave=True)
        else:
            todo = "" if total is None else f" ({total - initial} {plural(unit, total - initial)}"
            todo += f", from {initial}/{total})" if todo and initial else (")" if todo else "")
            self._line(f"{description}: started{todo}")

    def _line(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def _line_after(self, n: int) -> float | None:
        """The count at which the next progress line is due (line mode, `lines_every` set)."""
        if not self.lines_every or not self.total:
            return None
        share = max(1, round(self.total * self.lines_every))
        return (n // share + 1) * share

    def set(self, n: int, postfix: Mapping[str, object] | None = None) -> None:
        """The count is now `n` (e.g. the trainer's global step)."""
        self.update(n - self.n, postfix)

    def update(self, k: int = 1, postfix: Mapping[str, object] | None = None) -> None:
        if postfix is not None:
            self.postfix = ", ".join(f"{key}={_short(value)}" for key, value in postfix.items())
        self.n += k
        if self.first is None and k > 0:
            self.first = (self.n, self.clock())
        if self.bar is not None:
            if postfix is not None:
                self.bar.set_postfix_str(self.postfix, refresh=False)
            self.bar.update(k)
        elif self._next_line is not None and self.n >= self._next_line and self.n < self.total:
            self._next_line = self._line_after(self.n)
            now = self.clock()
            elapsed = now - self.started
            # At the rate after the first update: the first step holds the one-off work (torch.compile took 70 s
            # of a 179 s fit on a GPU; counted in, the ETA at 10% read 12 min for 1.6 min left).
            first_n, first_at = self.first
            if self.n > first_n:
                eta = eta_seconds(self.n, self.total, now - first_at, first_n)
            else:
                eta = eta_seconds(self.n, self.total, elapsed, self.initial)
            text = f"{self.description}: {self.n}/{self.total} {plural(self.unit, self.total)} ({100 * self.n / self.total:.0f}%)"
            text += f", {duration(elapsed)}" + (f", ETA {duration(eta)}" if eta is not None else "")
            self._line(text + (f", {self.postfix}" if self.postfix else ""))

    def close(self, failed: bool = False) -> None:
        if self.closed:
            return
        self.closed = True
        if self.bar is not None:
            self.bar.close()
            return
        done = self.n - self.initial
        what = f"{done} {plural(self.unit, done)}" if self.total is not None or done else ""
        verb = "stopped after" if failed else "done,"
        self._line(f"{self.description}: {verb} {what + ' in ' if what else ''}{duration(self.clock() - self.started)}"
                   + (f" ({self.postfix})" if self.postfix and not failed else ""))

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        # GeneratorExit (track's loop closed early) says nothing of why: a Ctrl+C in the caller's loop body
        # closes the generator the same way as a break. Short of the total, it stopped; otherwise it is done.
        stopped = kind is not None and (not issubclass(kind, GeneratorExit) or (self.total is not None and self.n < self.total))
        self.close(failed=stopped)


def track(items: Iterable[T], description: str, total: int | None = None, unit: str = "it",
          lines_every: float | None = None) -> Iterator[T]:
    """Iterate `items` showing progress (total: len(items) when it has one)."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)
    with Progress(description, total, unit, lines_every=lines_every) as progress:
        for item in items:
            yield item
            progress.update()


def _short(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)
