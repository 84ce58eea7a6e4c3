"""Where a `ckpt=` argument points: the checkpoint file itself, or one line saying what is there instead.
Imports no torch: `vmk probe|views|embed` check it in about a second."""

from __future__ import annotations

import zipfile
from pathlib import Path

from viewmaker_cli.errors import UserError


def checkpoint_file(value: str | Path, key: str = "ckpt") -> Path:
    """The file `value` names; UserError for a missing path, a directory (naming the file it holds, if any), or
    a file that is no torch checkpoint: torch.save writes a zip archive, whose directory is at its end, so text
    and a truncated copy are told here, before the run dir gets a log."""
    path = Path(value).expanduser()
    if path.is_file():
        if not zipfile.is_zipfile(path):
            raise UserError(f"{key}={value}: not a readable checkpoint (truncated or not a torch file)")
        return path
    if not path.is_dir():
        raise UserError(f"{key}={value}: no such file")
    found = [p for p in (path / "checkpoints" / "last.ckpt", path / "last.ckpt") if p.is_file()]
    found += sorted(path.glob("checkpoints/*.ckpt"), reverse=True) + sorted(path.glob("*.ckpt"), reverse=True)
    if found:
        raise UserError(f"{key}={value} is a directory; give the checkpoint file in it: {key}={found[0]}")
    raise UserError(f"{key}={value} is a directory with no checkpoint in it (no checkpoints/last.ckpt); "
                    "give a .ckpt file written by vmk pretrain")
