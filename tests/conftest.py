"""Suite-wide settings and the in-process `vmk` fixture.

Under pytest-xdist (`-n 2`, see pyproject.toml) every worker, and every `vmk` process a test starts, uses
one intra-op thread: two workers × two threads on two cores only contend."""

import logging
import os
import sys

import pytest

if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["OMP_NUM_THREADS"] = "1"  # inherited by subprocesses (CLI tests)
    import torch

    torch.set_num_threads(1)


@pytest.fixture
def vmk(capsys, monkeypatch, tmp_path):
    """vmk(*args) -> (exit code, stdout, stderr) of the real CLI run in this process (no second start-up of
    torch and Lightning), with no data or cache of this machine, leaving sys.argv and the root logger's
    handlers (Hydra adds its own) as they were."""
    from viewmaker_cli.cli import main

    monkeypatch.setenv("VMK_DATA", str(tmp_path / "vmk-data"))
    monkeypatch.setenv("VMK_CACHE", str(tmp_path / "vmk-cache"))
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
