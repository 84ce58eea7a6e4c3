"""Writers of CIFAR's real file format (python 2 pickles), shared by the image dataset tests."""

from __future__ import annotations

import pickle
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np


class Py2Pickler(pickle._Pickler):  # type: ignore[name-defined]
    """Writes pickles as Python 2 did for CIFAR: protocol 2, every string a byte string (BINSTRING)."""

    dispatch = pickle._Pickler.dispatch.copy()  # type: ignore[attr-defined]

    def save_py2_string(self, obj: str | bytes) -> None:
        data = obj if isinstance(obj, bytes) else obj.encode("latin-1")
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(data)) + data)
        self.memoize(obj)

    dispatch[bytes] = save_py2_string
    dispatch[str] = save_py2_string


def py2_pickle(obj: object, path: Path) -> None:
    """Pickle `obj` to `path` like the 2009 CIFAR files: numpy arrays named via numpy.core.multiarray."""
    import io

    buffer = io.BytesIO()
    Py2Pickler(buffer, protocol=2).dump(obj)
    # numpy 2 writes its new module name; the original files name the old one.
    path.write_bytes(buffer.getvalue().replace(b"numpy._core.multiarray\n", b"numpy.core.multiarray\n"))


def cifar_images(n: int, seed: int) -> np.ndarray:
    """Random CIFAR rows uint8 [n, 3072], never 0 (so padding is recognisable)."""
    return np.random.default_rng(seed).integers(1, 256, size=(n, 3072), dtype=np.uint8)


CifarWriter = Callable[..., dict[str, np.ndarray]]
