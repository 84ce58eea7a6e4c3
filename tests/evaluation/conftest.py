"""The evaluation tests get a private $VMK_DATA / $VMK_CACHE (their data helpers are in probe_fixtures.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def vmk_dirs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No dataset or prepared cache of this machine is found or written by accident."""
    monkeypatch.setenv("VMK_DATA", str(tmp_path / "vmk-data"))
    monkeypatch.setenv("VMK_CACHE", str(tmp_path / "vmk-cache"))
    return tmp_path / "vmk-data"
