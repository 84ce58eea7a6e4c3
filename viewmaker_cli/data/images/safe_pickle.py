"""Loading data-only pickles (CIFAR's batches) without running code: only numpy arrays may be rebuilt."""

from __future__ import annotations

import importlib
import pickle
from pathlib import Path
from typing import IO, Any

import numpy as np

from viewmaker_cli.errors import UserError


def _reconstruct() -> Any:
    # numpy 2 renamed numpy.core to numpy._core; old pickles (CIFAR's, from 2009) name the former.
    for module in ("numpy._core.multiarray", "numpy.core.multiarray"):
        try:
            return importlib.import_module(module)._reconstruct
        except ImportError:
            continue
    raise ImportError("numpy has no multiarray._reconstruct")


# The only globals a pickle of dicts, lists and numpy arrays needs. Anything else (os.system,
# builtins.eval, ...) would be code run while loading, so it is refused.
ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class _ArraysOnly(pickle.Unpickler):
    def __init__(self, stream: IO[bytes], path: Path) -> None:
        super().__init__(stream, encoding="bytes")
        self.path = path

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in ALLOWED:
            raise UserError(
                f"{self.path} is not a plain data pickle: it asks for {module}.{name}, which could run code; "
                "refused. Replace it with the original file from the dataset's official archive"
            )
        return _reconstruct() if name == "_reconstruct" else getattr(np, name)


def load_data_pickle(path: Path) -> Any:
    """Unpickle `path` (bytes keys, as written by Python 2) allowing only numpy arrays as objects."""
    try:
        with open(path, "rb") as stream:
            return _ArraysOnly(stream, path).load()
    except UserError:
        raise
    except FileNotFoundError:
        raise UserError(f"{path} does not exist; check the path") from None
    except OSError as error:
        raise UserError(f"cannot read {path}: {error.strerror or error}; check the path and its permissions") from error
    except Exception as error:  # noqa: BLE001 - a damaged pickle fails in many ways (EOF, bad opcode, bad state)
        raise UserError(
            f"cannot unpickle {path} ({type(error).__name__}: {error}): the file is truncated or corrupt; "
            "replace it with an original copy"
        ) from error
