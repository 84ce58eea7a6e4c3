"""Where a command will write, checked before any work: a folder that cannot be made or written is one line
(UserError) naming the setting, not a traceback after the data is loaded or the model trained.

cli.precheck calls `check_outputs` on the composed config; nothing here imports torch.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from omegaconf import DictConfig

from viewmaker_cli.core import slurm
from viewmaker_cli.errors import UserError

RUN_FILES = ("results.json", "checkpoints/last.ckpt")  # what makes a dir hold a run


def _unfinished_record(path: Path) -> bool:
    """A results.json that only marks a sweep job which failed or was stopped before any checkpoint: running
    it again in its dir loses no run (an unreadable file counts as a run: it is kept)."""
    if path.name != "results.json":
        return False
    try:
        return json.loads(path.read_text()).get("status") in ("failed", "interrupted")
    except (OSError, ValueError, AttributeError):
        return False


def refuse_a_held_run(run_dir: str | Path, continues: bool) -> None:
    """UserError when `run_dir` already holds a run (its results.json or last checkpoint) and this run does
    not continue it (resume=true, ckpt_path=, SLURM starting the job again)."""
    held = [f for f in RUN_FILES if (Path(run_dir) / f).is_file() and not _unfinished_record(Path(run_dir) / f)]
    if held and not continues:
        raise UserError(
            f"{run_dir} already holds a run ({held[0]}); continue it with resume=true, or start a new one in "
            "a fresh dir (hydra.run.dir=DIR, or leave hydra.run.dir out for a new timestamped dir)"
        )


# What each command writes into its out= folder, for the message that names it.
OUT_FILES = {"views": "views.png, views.gif, views.json", "embed": "{split}.npz, encoder.safetensors, encoder.json"}


def check_writable_dir(path: str | Path, key: str, fix: str) -> None:
    """`path` is a folder that exists or can be made (with its parents) and can be written into."""
    path = Path(path).expanduser()
    existing = path
    while not existing.exists():  # the nearest part that exists: the folders below it are made there
        if os.path.islink(existing):
            raise UserError(f"{key}={path}: {existing} is a broken link; {fix}")
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        what = "is a file" if existing == path else f"cannot be made: {existing} is a file"
        raise UserError(f"{key}={path} {what}, not a folder; {fix}")
    try:  # the one test that also holds for root and for read-only mounts: make a file there (gone on close)
        tempfile.TemporaryFile(dir=existing).close()
    except OSError as error:
        where = "" if existing == path else f" (in {existing}, where it would be made)"
        raise UserError(f"{key}={path}: cannot write there{where}: {error.strerror}; {fix}") from None


def check_outputs(command: str, cfg: DictConfig, run_dir: str | None) -> None:
    """Every folder `vmk command` writes into (`run_dir`: Hydra's run dir, None when it is not known yet)."""
    if command in OUT_FILES and cfg.get("out"):
        check_writable_dir(cfg.out, "out", f"out= is the folder {OUT_FILES[command]} are written into")
    if command == "report" and cfg.write and cfg.dirs and Path(cfg.dirs[0]).expanduser().is_dir():
        check_writable_dir(cfg.dirs[0], "dirs[0]", "results.md and results.csv go into the first dir: put a writable "
                           "dir first, or pass write=false to print the table only")
    if run_dir is not None:
        check_writable_dir(run_dir, "hydra.run.dir", "choose another run dir with hydra.run.dir=DIR")
        if command == "pretrain":  # before Hydra rewrites the finished run's .hydra/ and appends to its log
            refuse_a_held_run(Path(run_dir).expanduser(), bool(cfg.resume or cfg.ckpt_path or slurm.restart_count()))
