"""The failed jobs of a sweep, counted by the process that started it (for its "N job(s) failed" line and
exit status 1). Two sources, each line `RUN_DIR: MESSAGE`, one line per run dir:

- a file named by $VMK_FAILED_JOBS_FILE, which jobs in local processes append to as they fail (and the
  parallel launcher, for a job whose process died without a word);
- at the end of the sweep, every results.json under the sweep dir marked failed: jobs that ran on other
  machines (SLURM) cannot reach the first file, but their run dirs are on the shared disk the sweep needs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

ENV = "VMK_FAILED_JOBS_FILE"


def report(summary: str) -> None:
    """Add one line to this sweep's failed-jobs file, from any local process; nothing outside a sweep."""
    try:  # no O_CREAT: a process that is not part of this machine's sweep finds no such file
        fd = os.open(os.environ[ENV], os.O_WRONLY | os.O_APPEND)
    except (KeyError, OSError):
        return
    with os.fdopen(fd, "a") as log:
        log.write(summary.replace("\n", " ") + "\n")  # one short write: appends from parallel jobs do not mix


def report_failed_results(sweep_dir: str | Path) -> None:
    """Report every job under `sweep_dir` whose results.json says it failed."""
    for path in sorted(Path(sweep_dir).glob("**/results.json")):
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(record, dict) and record.get("status") == "failed":
            report(f"{path.parent}: {str(record.get('error', 'failed')).splitlines()[0]}")


def read(path: str | Path) -> list[str]:
    """The failed jobs reported to the file at `path`, each run dir once (a job may be reported by itself
    and again from its results.json)."""
    lines = Path(path).read_text().splitlines()
    return list({line.split(": ", 1)[0]: line for line in reversed(lines)}.values())[::-1]
