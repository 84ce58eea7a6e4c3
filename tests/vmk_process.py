"""`vmk` as a user runs it: a fresh process (tests that need a clean interpreter, a kill, or a sweep)."""

from __future__ import annotations

import os
import subprocess
import sys


def run_vmk(*args: str, env: dict | None = None, cwd=None, timeout: int = 300) -> subprocess.CompletedProcess:
    """`python -m viewmaker_cli ARGS` with one-line errors (no HYDRA_FULL_ERROR / VMK_VERBOSE from the caller's
    shell); `env` adds to this process's environment."""
    full = {**os.environ, "HYDRA_FULL_ERROR": "0", **(env or {})}
    full.pop("VMK_VERBOSE", None)
    return subprocess.run([sys.executable, "-m", "viewmaker_cli", *args], capture_output=True, text=True, cwd=cwd,
                          env=full, timeout=timeout)
