"""Suite-wide settings, the in-process `vmk` fixture, and `requires_slurm` for tests on a real SLURM.

Under pytest-xdist (`-n 2`, see pyproject.toml) every worker, and every `vmk` process a test starts, uses
one intra-op thread: two workers × two threads on two cores only contend."""

import functools
import logging
import os
import shutil
import subprocess
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


@functools.lru_cache(maxsize=None)
def slurm_unreachable() -> str | None:
    """Why no SLURM can be used from here (None when `sinfo` answers)."""
    if shutil.which("sinfo") is None:
        return "sinfo not found"
    try:
        run = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError) as error:
        return f"sinfo failed: {error}"
    if run.returncode != 0:
        return f"sinfo failed: {(run.stderr.strip().splitlines() or ['exit %d' % run.returncode])[0]}"
    return None


@pytest.fixture
def requires_slurm():
    """For tests on a real SLURM (scripts/local_slurm.sh up; SLURM_CONF): skipped when none is reachable,
    failed instead when VMK_TEST_SLURM=1 (CI brings one up and must not skip these tests silently).
    Use as a fixture argument or `pytestmark = pytest.mark.usefixtures("requires_slurm")`."""
    problem = slurm_unreachable()
    if problem is None:
        return
    if os.environ.get("VMK_TEST_SLURM") == "1":
        pytest.fail(f"VMK_TEST_SLURM=1 but no SLURM is reachable: {problem}")
    pytest.skip(f"no SLURM reachable: {problem} (scripts/local_slurm.sh up)")
