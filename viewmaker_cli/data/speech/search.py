"""Finding a speech dataset's folder: `root` as given, else $VMK_DATA/<name>, each also with the
folder names the official archives extract to; and the one-line error when it is not there."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Source:
    """Where one speech dataset's files are: the folders searched, how the right one is recognised, and
    what the not-found message names."""

    title: str  # the dataset as the message names it, e.g. "AudioMNIST"
    home: str  # its folder under $VMK_DATA
    inner: tuple[str, ...]  # the folders its official archives extract to
    wanted: str  # what is looked for, as the message says it
    ok: Callable[[Path], bool]  # whether a folder holds the dataset
    how_to_get: str

    def locate(self, root: str | None = None) -> Path | None:
        """The dataset's folder, or None."""
        return first(candidates(root, self.home, self.inner), self.ok)

    def find(self, root: str | None, download: bool) -> Path:
        """The dataset's folder; UserError saying where it was looked for when it is not there."""
        folder = self.locate(root)
        if folder is None:
            raise not_found(self.title, self.wanted, candidates(root, self.home, self.inner), self.how_to_get, download)
        return folder
