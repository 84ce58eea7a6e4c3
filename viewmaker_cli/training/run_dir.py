"""A run dir belongs to one run: a new run never writes over a finished or live one.

- A dir that already holds a run (its results.json or checkpoints/last.ckpt; a results.json that only marks
  a failed or interrupted sweep job does not count) is only written by a run that continues it (resume=true,
  ckpt_path=, or SLURM starting the job again); anything else stops in one line.
- While a run trains, it holds an exclusive lock on `.vmk.lock` in its dir (flock: the kernel drops it
  when the process ends, however it ends, so a lock left by a dead process is simply taken over). The file
  says who holds it, for the message a second process gets.
- The run that claims the dir keeps a copy of its composed config and overrides in `.vmk/` (Hydra rewrites
  `.hydra/` at every start, even of a command that then stops): `resume=true` continues with them
  (resume_config.py).

Only the first process of a run checks and locks: the other DDP ranks (started by Lightning, srun or
torchrun) write into the same dir as part of the same run.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
from pathlib import Path

from viewmaker_cli.core.atomic import atomic_write_text
from viewmaker_cli.errors import UserError
from viewmaker_cli.output_paths import RUN_FILES, refuse_a_held_run

LOCK_FILE = ".vmk.lock"
KEPT_DIR = ".vmk"  # the config the run trains with: config.yaml and overrides.yaml, copied from .hydra/
_held: dict[Path, object] = {}  # run dir -> its open lock file in this process (closing it would drop the lock)


def first_process() -> bool:
    """Whether this process is rank 0 of its run, read from what each launcher sets before Lightning runs."""
    for variable in ("RANK", "SLURM_PROCID", "LOCAL_RANK"):
        if os.environ.get(variable, "0") != "0":
            return False
    return True


def claim(run_dir: Path, continues: bool) -> None:
    """Stop unless this run may write `run_dir`; then hold its lock until the process ends."""
    if not first_process():
        return
    refuse_a_held_run(run_dir, continues)
    run_dir = run_dir.resolve()
    if run_dir not in _held:  # else: this process's own earlier run of the dir (a sweep or a test in-process)
        _held[run_dir] = _lock(run_dir)
    keep_config(run_dir)  # only once the dir is ours: a refused second process must not rewrite `.vmk/`


def _lock(run_dir: Path):
    """The open, exclusively locked `.vmk.lock` of `run_dir`, naming this process; one line if another holds it."""
    run_dir.mkdir(parents=True, exist_ok=True)
    lock = open(run_dir / LOCK_FILE, "a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.seek(0)
        owner = _owner(lock.read())
        lock.close()
        raise UserError(f"{run_dir} is in use by a running vmk ({owner}); wait for it, or use another hydra.run.dir") from None
    lock.seek(0)
    lock.truncate()
    lock.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname()}))
    lock.flush()
    return lock


def _owner(text: str) -> str:
    """Who holds the lock, from what it wrote: "process 4242 on gpu-node-7"."""
    try:
        owner = json.loads(text)
        return f"process {owner['pid']} on {owner['host']}"
    except (ValueError, TypeError, KeyError):  # written by an older vmk, or not yet written
        return text.strip() or "another process"


def keep_config(run_dir: Path) -> None:
    """Copy the config Hydra composed for this process (`.hydra/`) to `.vmk/`, where no later start rewrites it."""
    for name in ("config.yaml", "overrides.yaml"):
        source = run_dir / ".hydra" / name
        if source.is_file():
            (run_dir / KEPT_DIR).mkdir(exist_ok=True)
            atomic_write_text(run_dir / KEPT_DIR / name, source.read_text())


def release_unused() -> None:
    """Unlock the run dirs this process claimed but trained nothing in (a user error stopped it before the
    first checkpoint) and remove what the claim wrote there (the lock file, `.vmk/`): such a dir keeps only
    what Hydra wrote. A dir with any checkpoint keeps everything, for resume=true."""
    for run_dir, lock in list(_held.items()):
        if not any((run_dir / f).is_file() for f in RUN_FILES) and not (run_dir / "checkpoints").exists():
            (run_dir / LOCK_FILE).unlink(missing_ok=True)
            shutil.rmtree(run_dir / KEPT_DIR, ignore_errors=True)
            lock.close()
            del _held[run_dir]
