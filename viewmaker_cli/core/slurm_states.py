"""submitit's view of its SLURM jobs on a cluster without accounting (AccountingStorageType=none).

submitit asks `sacct` for job states. Without accounting sacct fails, prints "Slurm accounting storage is
disabled", and submitit logs "Bypassing sacct error" at every poll (about 20 lines for a short sweep); it
then never learns that a job died without a result (timeout, out of memory, scancel) and waits for ever.
Here sacct is asked quietly, and when it cannot answer, `squeue --states=all` is (it knows finished jobs
for MinJobAge, 300 s by default)."""

from __future__ import annotations

import subprocess
import time

from submitit.slurm.slurm import SlurmInfoWatcher, SlurmJob  # imported only when submitit is installed (cli.py)

FIELDS = "JobID|State|NodeList"  # the header of sacct's --parsable2 output, which submitit parses


def _ask(command: list[str]) -> str | None:
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return run.stdout if run.returncode == 0 else None


def job_states(job_ids: list[str]) -> str | None:
    """sacct's --parsable2 table (header line first) for these jobs, from sacct or else squeue."""
    ids = ",".join(job_ids)
    table = _ask(["sacct", "-o", FIELDS.replace("|", ","), "--parsable2", "-j", ids])
    if table is not None:
        return table
    table = _ask(["squeue", "--noheader", "--states=all", "-o", "%i|%T|%N", "-j", ids])
    return None if table is None else f"{FIELDS}\n{table}"


class QuietWatcher(SlurmInfoWatcher):
    def update(self) -> None:  # submitit's own update(), with job_states() for its sacct call
        to_check = sorted({x.split("_")[0] for x in self._registered - self._finished})
        if to_check:
            self._num_calls += 1
            table = job_states(to_check)
            if table is not None:
                self._info_dict.update(self.read_info(table))
        self._last_status_check = time.time()
        for job_id in self._registered - self._finished:
            if self.is_done(job_id, mode="cache"):
                self._finished.add(job_id)


def install() -> None:
    """Every SlurmJob of this process asks through QuietWatcher (submitit shares one watcher per class)."""
    if not isinstance(SlurmJob.watcher, QuietWatcher):
        SlurmJob.watcher = QuietWatcher(delay_s=600)  # submitit's own polling delay
