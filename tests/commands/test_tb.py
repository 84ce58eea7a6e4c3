"""`vmk tb [DIR]`: one line and exit 2 for a missing dir or one without event files; otherwise a real
TensorBoard that serves the runs under DIR (started in a subprocess on a free port, then stopped)."""

import json
import os
import re
import select
import subprocess
import sys
import time
import urllib.request

import pytest

from viewmaker_cli.cli import main


@pytest.mark.parametrize("case", ["missing", "a file", "empty", "bad port"])
def test_tb_errors_are_one_line_exit_2(case, tmp_path, capsys):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "results.json").write_text("{}")  # a run dir, but no event files
    (tmp_path / "notes.txt").write_text("a file")
    args = {"missing": [str(tmp_path / "nope")], "a file": [str(tmp_path / "notes.txt")], "empty": [str(tmp_path)],
            "bad port": [str(tmp_path), "--port", "http"]}[case]
    with pytest.raises(SystemExit) as stop:
        main(["tb", *args])
    assert stop.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vmk: error: "), lines
    assert {"missing": "no such directory", "a file": "notes.txt: a file, not a directory", "empty": "no TensorBoard event files",
            "bad port": "not a port"}[case] in lines[0]


def read_line(process: subprocess.Popen, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.2)
        if ready:
            return process.stdout.readline()
        if process.poll() is not None:
            break
    raise AssertionError(f"no URL from vmk tb: {process.stderr.read() if process.poll() is not None else 'timed out'}")


def test_tb_serves_the_runs_under_dir(tmp_path):
    from torch.utils.tensorboard import SummaryWriter

    with SummaryWriter(str(tmp_path / "0_budget-0.1" / "tb")) as writer:  # the event files of a run
        writer.add_scalar("train/loss", 1.5, 1)
    env = {**os.environ, "VMK_VERBOSE": "0"}
    process = subprocess.Popen([sys.executable, "-m", "viewmaker_cli", "tb", str(tmp_path), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = read_line(process, timeout=60)
        url = re.search(r"(http://\S+?)/? ", line).group(1)
        assert str(tmp_path) in line and url.startswith("http://localhost:")
        deadline = time.monotonic() + 30
        while True:  # the run appears once TensorBoard has read the folder
            runs = json.loads(urllib.request.urlopen(f"{url}/data/runs", timeout=10).read())
            if runs or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert runs == ["0_budget-0.1/tb"]
    finally:
        process.terminate()
        process.wait(timeout=10)
