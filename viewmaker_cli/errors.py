"""User-facing errors: one clear line and exit code 2, never a traceback unless asked for."""

from __future__ import annotations

import os
import sys


class UserError(Exception):
    """A mistake the user can fix (bad input, missing data, wrong file). Shown as one line, exit 2."""


def verbose() -> bool:
    return os.environ.get("HYDRA_FULL_ERROR") == "1" or os.environ.get("VMK_VERBOSE") == "1"


def exit_with(error: BaseException) -> None:
    """Print `error` for a person and exit with code 2 (full traceback with HYDRA_FULL_ERROR=1)."""
    if verbose():
        raise error
    print(f"vmk: error: {error}", file=sys.stderr)
    sys.exit(2)
