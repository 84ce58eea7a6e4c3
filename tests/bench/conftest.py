"""The real CLI in this process (no second start-up of torch and Lightning per test)."""

from __future__ import annotations

import logging
import sys

import pytest


@pytest.fixture
def vmk(capsys, monkeypatch):
    """vmk(*args) -> (exit code, stdout, stderr) through viewmaker_cli.cli.main, leaving sys.argv and the
    root logger's handlers (Hydra adds its own) as they were."""
    from viewmaker_cli.cli import main

    monkeypatch.delenv("HYDRA_FULL_ERROR", raising=False)
    monkeypatch.delenv("VMK_VERBOSE", raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", list(sys.argv))
        root = logging.getLogger()
        handlers, level = root.handlers[:], root.level
        try:
            main(list(args))
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
        finally:
            for handler in root.handlers:
                if handler not in handlers:
                    handler.close()
            root.handlers[:] = handlers
            root.setLevel(level)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
