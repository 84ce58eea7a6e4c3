"""Where a `ckpt=` argument points: the checkpoint file itself, or one line saying what is there instead.
Imports no torch: `vmk probe|views|embed` check it in about a second."""

from __future__ import annotations

from pathlib import Path

from viewmaker_cli.errors import UserError


def checkpoint_file(value: str | Path, key: str = "ckpt") -> Path:
    """The file `value` names; UserError for a missing path or a directory (naming the file it holds, if any)."""
    path = Path(value).expanduser()
    if path.is_file():
        return path
    if not path.is_dir():
        raise UserError(f"{key}={value}: no such file")
    found = [p for p in (path / "checkpoints" / "last.ckpt", path / "last.ckpt") if p.is_file()]
    found += sorted(path.glob("checkpoints/*.ckpt"), reverse=True) + sorted(path.glob("*.ckpt"), reverse=True)
    if found:
        raise UserError(f"{key}={value} is a directory; give the checkpoint file in it: {key}={found[0]}")
    raise UserError(f"{key}={value} is a directory with no checkpoint in it (no checkpoints/last.ckpt); "
                    "give a .ckpt file written by vmk pretrain")
