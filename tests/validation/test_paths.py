"""Output paths (issue 12 point 5): a run dir, out= folder or report dir that cannot be made or written is one
line and exit 2 before any work (cli.precheck, output_paths.py), and what is in the way is left as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.one_line import one_line_exit_2
from viewmaker_cli.errors import UserError
from viewmaker_cli.output_paths import check_writable_dir

ROOT = os.geteuid() == 0  # root writes into read-only folders: those cases need another user
UNWRITABLE_FOR_ANYONE = Path("/proc/vmk-run")  # /proc takes no new entries, not even from root


def test_a_file_where_the_run_dir_should_be(vmk, no_job, tmp_path):
    run = tmp_path / "run"
    run.write_text("my notes")
    one_line_exit_2(vmk("pretrain", f"hydra.run.dir={run}"), f"hydra.run.dir={run} is a file, not a folder")
    assert run.read_text() == "my notes"


def test_a_file_where_a_parent_of_the_run_dir_should_be(vmk, no_job, tmp_path):
    (tmp_path / "outputs").write_text("")
    line = one_line_exit_2(vmk("bench", f"hydra.run.dir={tmp_path / 'outputs' / 'b'}"), "cannot be made")
    assert f"{tmp_path / 'outputs'} is a file" in line and "hydra.run.dir=DIR" in line


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs Linux's /proc")
def test_a_run_dir_that_cannot_be_made(vmk, no_job):
    one_line_exit_2(vmk("pretrain", f"hydra.run.dir={UNWRITABLE_FOR_ANYONE}"), "cannot write there (in /proc")


@pytest.mark.skipif(ROOT, reason="root can write into a read-only folder")
def test_a_read_only_run_dir(vmk, no_job, tmp_path):
    tmp_path.chmod(0o555)
    try:
        one_line_exit_2(vmk("pretrain", f"hydra.run.dir={tmp_path / 'run'}"), "Permission denied")
    finally:
        tmp_path.chmod(0o755)


@pytest.mark.parametrize("command", ["views", "embed"])
def test_out_is_an_existing_file(command, vmk, no_job, tmp_path, any_ckpt):
    (tmp_path / "features").write_text("keep me")
    line = one_line_exit_2(vmk(command, f"ckpt={any_ckpt}", f"out={tmp_path / 'features'}",
                               f"hydra.run.dir={tmp_path / 'run'}"), "is a file, not a folder; out= is the folder")
    assert (tmp_path / "features").read_text() == "keep me" and not (tmp_path / "run").exists(), line


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs Linux's /proc")
def test_out_that_cannot_be_written(vmk, no_job, tmp_path, any_ckpt):
    one_line_exit_2(vmk("embed", f"ckpt={any_ckpt}", f"out={UNWRITABLE_FOR_ANYONE / 'f'}",
                        f"hydra.run.dir={tmp_path / 'run'}"), "out=/proc/vmk-run/f: cannot write there")


@pytest.mark.skipif(ROOT, reason="root can write into a read-only folder")
def test_a_report_into_a_read_only_dir_says_write_false(vmk, no_job, tmp_path):
    (tmp_path / "results.json").write_text("{}")
    tmp_path.chmod(0o555)
    try:
        one_line_exit_2(vmk("report", str(tmp_path)), "pass write=false")
    finally:
        tmp_path.chmod(0o755)


def test_a_report_of_a_file_or_a_missing_dir_says_which(vmk, no_job, tmp_path):
    (tmp_path / "results.json").write_text("{}")
    one_line_exit_2(vmk("report", str(tmp_path / "results.json"), "write=false"), "results.json: a file, not a directory of runs")
    one_line_exit_2(vmk("report", str(tmp_path / "nope"), "write=false"), "nope: no such directory")


def test_a_folder_that_exists_or_can_be_made_passes(tmp_path):
    check_writable_dir(tmp_path, "out", "fix")
    check_writable_dir(tmp_path / "a" / "b", "out", "fix")
    assert not (tmp_path / "a").exists()  # checked, not made
    (tmp_path / "link").symlink_to(tmp_path / "gone")
    with pytest.raises(UserError, match="broken link"):
        check_writable_dir(tmp_path / "link" / "x", "out", "fix")
