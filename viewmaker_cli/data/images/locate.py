"""Where a dataset's files may be: the folders searched, the first complete one, and the error when none is."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from viewmaker_cli.data.fashion_mnist import data_home
from viewmaker_cli.errors import UserError


def search_dirs(name: str, root: str | Path | None, inner: Sequence[str] = ()) -> list[Path]:
    """The folders to look in, in order.

    With `root`: `root` itself and `root/<name>` (a folder of datasets); without: `$VMK_DATA/<name>`.
    Each is also tried with the `inner` subfolders that archives and torchvision create
    (e.g. `cifar-10-batches-py`, `MNIST/raw`).
    """
    if root is not None:
        base = Path(root).expanduser()
        bases = [base, base / name]
    else:
        bases = [data_home() / name]
    return [base / sub for base in bases for sub in ("", *inner)]


def download_dir(name: str, root: str | Path | None) -> Path:
    """Where a download goes: `root` as given, else `$VMK_DATA/<name>`."""
    return Path(root).expanduser() if root is not None else data_home() / name


def has_files(*names: str) -> Callable[[Path], bool]:
    """A test that a folder holds every file in `names`."""
    return lambda directory: all((directory / n).is_file() for n in names)


def first_dir(dirs: Sequence[Path], complete: Callable[[Path], bool]) -> Path | None:
    """The first of `dirs` that `complete` accepts, or None."""
    return next((d for d in dirs if complete(d)), None)


def not_found(title: str, dirs: Sequence[Path], wanted: str, how_to_get: str) -> UserError:
    """The one-line error for a dataset found nowhere: what, every folder looked in, how to get it."""
    looked = ", ".join(str(d) for d in dirs)
    return UserError(f"{title} not found: looked for {wanted} in {looked}; fix: {how_to_get}")
