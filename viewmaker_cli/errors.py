"""User-facing errors: one clear line and exit code 2, never a traceback unless asked for."""

from __future__ import annotations

import os
import sys
import traceback


class UserError(Exception):
    """A mistake the user can fix (bad input, missing data, wrong file). Shown as one line, exit 2."""


def verbose() -> bool:
    return os.environ.get("HYDRA_FULL_ERROR") == "1" or os.environ.get("VMK_VERBOSE") == "1"


def exit_with(error: BaseException, cause: BaseException | None = None) -> None:
    """Print `error` for a person and exit with code 2; with HYDRA_FULL_ERROR=1 the traceback comes first
    (of `cause` when given: the exception `error` puts in words) and the exit code stays 2."""
    if verbose():
        traceback.print_exception(cause or error, file=sys.stderr)
    print(f"vmk: error: {error}", file=sys.stderr)
    sys.exit(2)
