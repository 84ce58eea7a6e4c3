"""Read and write IDX files, the format of (Fashion-)MNIST, plain or gzip-compressed.

An IDX file is a 4-byte magic number (two zero bytes, a dtype code, the number of dimensions),
one big-endian uint32 per dimension, then the values in C order, big-endian.
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import numpy as np

from viewmaker_cli.errors import UserError

# The dtype codes of the IDX format (http://yann.lecun.com/exdb/mnist/), all big-endian.
DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


@contextmanager
def _open(path: Path, mode: str) -> Iterator[IO[bytes]]:
    """Open `path` in binary `mode`, through gzip when its name ends with `.gz`."""
    with open(path, mode) as raw:
        if not path.name.endswith(".gz"):
            yield raw
            return
        # mtime=0 and no stored name make the compressed bytes reproducible.
        with gzip.GzipFile(filename="", mode=mode, fileobj=raw, mtime=0) as stream:
            yield stream


def _read_header(stream: IO[bytes], path: Path) -> tuple[np.dtype, tuple[int, ...]]:
    magic = stream.read(4)
    if len(magic) != 4 or magic[0] != 0 or magic[1] != 0:
        raise UserError(
            f"{path} is not an IDX file (bad magic number {magic.hex() or 'empty'}); "
            "replace it with an original copy"
        )
    code, ndim = magic[2], magic[3]
    if code not in DTYPES or ndim == 0:
        raise UserError(
            f"{path} has an unknown IDX dtype code 0x{code:02x} or {ndim} dimensions; "
            "replace it with an original copy"
        )
    dims_bytes = stream.read(4 * ndim)
    if len(dims_bytes) != 4 * ndim:
        raise UserError(f"{path} is truncated inside its IDX header; replace it with an original copy")
    return DTYPES[code], struct.unpack(f">{ndim}I", dims_bytes)


# Deflate never shrinks data more than ~1032:1: a bound on what a .gz file can hold.
_MAX_GZIP_RATIO = 1032


def _read_body(stream: IO[bytes], path: Path, dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
    expected = math.prod(shape) * dtype.itemsize
    # A corrupt header can claim terabytes: refuse before allocating what the file cannot hold.
    capacity = path.stat().st_size * (_MAX_GZIP_RATIO if path.name.endswith(".gz") else 1)
    array = np.empty(shape if expected <= capacity else 0, dtype=dtype)
    # Read straight into the array: no second copy of a 47 MB file.
    view = memoryview(array.reshape(-1).view(np.uint8))
    filled = 0
    while filled < len(view):
        n = stream.readinto(view[filled:])  # type: ignore[attr-defined]
        if not n:
            break
        filled += n
    if filled != expected or stream.read(1):
        size = "fewer" if filled < expected else "more"
        raise UserError(
            f"{path} holds {size} bytes than its IDX header says (shape {shape}, {expected} bytes); "
            "the file is truncated or corrupt: replace it with an original copy"
        )
    return array


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (`.gz` is decompressed) into an array in native byte order."""
    path = Path(path)
    try:
        with _open(path, "rb") as stream:
            dtype, shape = _read_header(stream, path)
            array = _read_body(stream, path, dtype, shape)
    except FileNotFoundError:
        raise UserError(f"{path} does not exist; check the path") from None
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        # How gzip reports a cut-off or damaged stream.
        raise UserError(
            f"cannot decompress {path} ({error}): the file is truncated or corrupt; "
            "replace it with an original copy"
        ) from error
    except OSError as error:
        reason = error.strerror or error
        raise UserError(f"cannot read {path}: {reason}; check the path and its permissions") from error
    return array.astype(dtype.newbyteorder("="), copy=False)


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write a uint8 array as IDX; gzip-compressed (reproducibly) when the name ends with `.gz`."""
    if array.dtype != np.uint8 or array.ndim == 0:
        raise ValueError(f"write_idx writes uint8 arrays of at least one dimension, not {array.dtype} {array.shape}")
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    with _open(Path(path), "wb") as stream:
        stream.write(header)
        stream.write(np.ascontiguousarray(array).tobytes())
