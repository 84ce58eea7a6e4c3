"""Write any file format atomically: the writer gets a temp path in the target folder, which is renamed
over the target only once the writer has finished, so a crash never leaves half a file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """`with atomic_output(p) as tmp: write(tmp)` leaves either the complete new file at `p` or nothing new.

    The temp file keeps the target's suffix, so writers that infer the format from the name (np.savez,
    matplotlib's savefig) write the same format."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    mask = os.umask(0)
    os.umask(mask)
    try:
        yield Path(tmp)
        with open(tmp, "rb") as written:  # on disk before the rename
            os.fsync(written.fileno())
        os.chmod(tmp, 0o666 & ~mask)  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def atomic_write_text(path: str | Path, text: str) -> None:
    """A text file written atomically (see `atomic_output`)."""
    with atomic_output(path) as tmp:
        tmp.write_text(text)
