"""Quick questions get quick answers (issue 13 point 4): `--help`, `--cfg job` and a wrong value import neither
torch nor Lightning, so they cost well under the 3 s of CPU that importing those alone takes."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

PROBE = """
import json, sys
from viewmaker_cli.cli import main
code = 0
try:
    main(sys.argv[1:])
except SystemExit as stop:
    code = stop.code
heavy = sorted(m for m in ("torch", "lightning", "matplotlib") if m in sys.modules)
print(json.dumps({"code": code, "heavy": heavy}), file=sys.stderr)
"""


def run(*args: str) -> tuple[dict, float, str]:
    """(what the process reported, its CPU seconds, its stderr) for `vmk ARGS` in a fresh interpreter."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HYDRA_FULL_ERROR": "0"})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return json.loads(done.stderr.strip().splitlines()[-1]), cpu, done.stderr


def test_help_cfg_and_a_wrong_value_import_no_torch(tmp_path):
    for args, code in [(["pretrain", "--help"], 0), (["pretrain", "--cfg", "job", "objective=moco"], 0),
                       (["pretrain", "budget=-1", f"hydra.run.dir={tmp_path}"], 2)]:
        report, cpu, err = run(*args)
        assert report == {"code": code, "heavy": []}, (args, err)
        assert cpu < 3, (args, cpu)  # importing torch and Lightning alone takes about 3 s
    assert not tmp_path.exists() or not any(tmp_path.iterdir())
