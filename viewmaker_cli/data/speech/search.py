"""Finding a speech dataset's folder: `root` as given, else $VMK_DATA/<name>, each also with the
folder names the official archives extract to; and the one-line error when it is not there."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from viewmaker_cli.data.fashion_mnist import data_home
from viewmaker_cli.errors import UserError


def candidates(root: str | Path | None, home: str, inner: tuple[str, ...] = ()) -> list[Path]:
    """`root` (or $VMK_DATA/`home`), then each `inner` folder below it, in that order."""
    base = Path(root).expanduser() if root is not None else data_home() / home
    return [base] + [base / name for name in inner]


def first(dirs: list[Path], ok: Callable[[Path], bool]) -> Path | None:
    """The first folder in `dirs` that `ok` accepts."""
    return next((d for d in dirs if d.is_dir() and ok(d)), None)


def not_found(title: str, wanted: str, dirs: list[Path], how_to_get: str, download: bool) -> UserError:
    """What is missing, where it was looked for, and how to get it (vmk downloads none of these)."""
    looked = ", ".join(str(d) for d in dirs)
    note = " (data.download=true cannot fetch it: vmk does not download this dataset)" if download else ""
    return UserError(f"{title} not found: looked for {wanted} in {looked}{note}; fix: set data.root=DIR, or {how_to_get}")
