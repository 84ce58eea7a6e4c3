"""results.json: every number with the protocol, config, versions, commit and device that produced it."""

from __future__ import annotations

import json
import platform
import subprocess
from pathlib import Path
from typing import Any

import torch

from viewmaker_cli.core import slurm
from viewmaker_cli.core.atomic import atomic_write_text

RESULTS_FILE = "results.json"


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for dist in ("vmk", "torch", "lightning", "hydra-core", "omegaconf"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "not installed"
    out["python"] = platform.python_version()
    return out


def git_state() -> dict[str, Any]:
    """Commit and dirty flag of the vmk source tree (None outside a git checkout)."""
    root = Path(__file__).resolve().parents[2]

    def git(*args: str) -> str | None:
        try:
            return subprocess.run(
                ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def device_info() -> dict[str, Any]:
    if torch.cuda.is_available():
        return {"type": "cuda", "name": torch.cuda.get_device_name(0), "count": torch.cuda.device_count()}
    return {"type": "cpu", "name": platform.processor() or platform.machine(), "threads": torch.get_num_threads()}


def _slurm() -> dict[str, Any]:
    """{"slurm": its job id, array task, node} when this run is a SLURM job, else nothing."""
    job = slurm.job()
    return {} if job is None else {"slurm": job}


def write_results(run_dir: str | Path, metrics: dict, protocol: dict, config: dict, wall_s: float, **extra) -> Path:
    record = {
        "status": "ok",
        "metrics": metrics,
        "protocol": protocol,
        "config": config,
        "versions": versions(),
        "git": git_state(),
        "device": device_info(),
        **_slurm(),
        "wall_s": round(wall_s, 2),
        **extra,
    }
    path = Path(run_dir) / RESULTS_FILE
    atomic_write_text(path, json.dumps(record, indent=2, sort_keys=False) + "\n")
    return path


def write_failure(run_dir: str | Path, error: str, config: dict, traceback_text: str, status: str = "failed") -> Path:
    """A failed (or, with status="interrupted", a stopped) sweep job's results.json: whole, marked, with the
    error (the table shows it). A finished run's results.json is left as it is: a later attempt in its dir (a
    sweep run again into the same dir, refused there; a resume stopped while probing) does not undo it."""
    path = Path(run_dir) / RESULTS_FILE
    if _finished(path):
        return path
    record = {"status": status, "error": error, "metrics": {}, "protocol": {}, "config": config,
              "versions": versions(), "git": git_state(), "device": device_info(), **_slurm(), "traceback": traceback_text}
    atomic_write_text(path, json.dumps(record, indent=2) + "\n")
    return path


def _finished(path: Path) -> bool:
    try:
        return json.loads(path.read_text()).get("status") == "ok"
    except (OSError, ValueError, AttributeError):
        return False
