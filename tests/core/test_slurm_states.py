"""core/slurm_states.py: job states for submitit from sacct, or from squeue when sacct has no accounting
(fake sacct/squeue on PATH answering as slurm-wlm 22.05 does; test_slurm_sweep.py runs the real ones)."""

import os

import pytest

pytest.importorskip("submitit")  # the slurm extra

from viewmaker_cli.core.slurm_states import QuietWatcher, job_states  # noqa: E402


@pytest.fixture
def slurm_commands(tmp_path, monkeypatch):
    def make(sacct: str, squeue: str) -> None:
        for name, body in (("sacct", sacct), ("squeue", squeue)):
            path = tmp_path / name
            path.write_text("#!/bin/sh\n" + body + "\n")
            path.chmod(0o755)
        monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    return make


def test_without_accounting_the_states_come_from_squeue(slurm_commands, capfd):
    slurm_commands(sacct='echo "Slurm accounting storage is disabled" >&2; exit 1',
                   squeue='printf "%s\\n" "22_0|COMPLETED|localhost" "22_1|CANCELLED|localhost" "23_[0-1%2]|PENDING|"')
    watcher = QuietWatcher(delay_s=600)
    for job in ("22_0", "22_1", "23_0", "23_1"):
        watcher.register_job(job)
    watcher.update()
    assert [watcher.get_state(job, mode="cache") for job in ("22_0", "22_1", "23_0", "23_1")] == \
        ["COMPLETED", "CANCELLED", "PENDING", "PENDING"]
    assert watcher.is_done("22_1", mode="cache") and not watcher.is_done("23_0", mode="cache")
    assert capfd.readouterr().err == ""  # neither sacct's line nor submitit's "Bypassing sacct error"


def test_sacct_answers_when_it_can(slurm_commands):
    slurm_commands(sacct='printf "JobID|State|NodeList\\n7|RUNNING|localhost\\n"', squeue="exit 1")
    assert job_states(["7"]) == "JobID|State|NodeList\n7|RUNNING|localhost\n"
