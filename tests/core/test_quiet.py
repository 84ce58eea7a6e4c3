"""core/quiet.py: Lightning's "srun is available but not used" warning (from every Trainer of `vmk pretrain`
and `vmk bench` on a machine with srun installed) only inside a SLURM allocation, where it applies."""

import os
import warnings

import pytest
from lightning.fabric.plugins.environments.slurm import SLURMEnvironment

from viewmaker_cli.core.quiet import quiet_lightning


@pytest.fixture
def srun_installed(tmp_path, monkeypatch):
    srun = tmp_path / "srun"
    srun.write_text("#!/bin/sh\n")
    srun.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    for key in [k for k in os.environ if k.startswith("SLURM_")]:
        monkeypatch.delenv(key)


def srun_warnings() -> list[str]:
    with warnings.catch_warnings(record=True) as caught:  # restores the filters quiet_lightning adds
        warnings.simplefilter("always")
        quiet_lightning()
        SLURMEnvironment._validate_srun_used()  # what Lightning runs when a Trainer looks for SLURM
    return [str(w.message) for w in caught if "srun" in str(w.message)]


def test_srun_warning_is_not_shown_outside_an_allocation(srun_installed):
    assert srun_warnings() == []


def test_srun_warning_is_shown_in_an_allocation_where_python_runs_without_srun(srun_installed, monkeypatch):
    monkeypatch.setenv("SLURM_JOB_ID", "36")  # as `salloc` sets them: no SLURM_NTASKS, job name "interactive"
    monkeypatch.setenv("SLURM_JOB_NAME", "interactive")
    assert len(srun_warnings()) == 1
