"""Shared fixtures for the sensor tests: empty $VMK_DATA / $VMK_CACHE and a fake PAMAP2 Protocol folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.data.sensor.sensor_fakes import FAKE_RUNS, fake_table, write_table


@pytest.fixture(autouse=True)
def vmk_dirs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Keep this machine's data and cache out of sight: empty temporary $VMK_DATA and $VMK_CACHE."""
    monkeypatch.setenv("VMK_DATA", str(tmp_path / "vmk-data"))
    monkeypatch.setenv("VMK_CACHE", str(tmp_path / "vmk-cache"))
    return tmp_path


@pytest.fixture
def fake_pamap2(tmp_path: Path) -> Callable[..., Path]:
    """fake_pamap2(subjects=1..9) → a folder `PAMAP2_Dataset/Protocol/subject10X.dat` in the real format; returns its root."""

    def make(subjects: tuple[int, ...] = tuple(range(1, 10)), runs: list[tuple[int, int]] = FAKE_RUNS) -> Path:
        root = tmp_path / "pamap2-root"
        for subject in subjects:
            write_table(root / "PAMAP2_Dataset" / "Protocol" / f"subject{100 + subject}.dat", fake_table(subject, runs))
        return root

    return make
