"""Shared by the `vmk views` / `vmk embed` tests: two tiny pretrained runs (image, sensor), made once per
test session (once across xdist workers), the in-process CLI is the `vmk` fixture of tests/conftest.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TINY = ["model.width=4", "views.width=4", "views.num_res_blocks=1", "trainer.max_steps=1", "probe.enabled=false",
        "trainer.image_every_n_steps=0"]
RUNS = {"image": ["data.batch_size=16"], "sensor": ["modality=sensor"]}


def _pretrain_all(root: Path) -> dict[str, Path]:
    """Both tiny runs through the real CLI, one after the other in one fresh process (imports paid once)."""
    env = {**os.environ, "HYDRA_FULL_ERROR": "0", "VMK_DATA": str(root / "data"), "VMK_CACHE": str(root / "cache")}
    commands = [["pretrain", *overrides, *TINY, f"hydra.run.dir={root / name}"] for name, overrides in RUNS.items()]
    script = "import json, sys\nfrom viewmaker_cli.cli import main\nfor a in json.loads(sys.argv[1]):\n    main(a)"
    result = subprocess.run([sys.executable, "-c", script, json.dumps(commands)],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, f"tiny pretraining failed:\n{result.stderr[-3000:]}"
    return {name: root / name / "checkpoints" / "last.ckpt" for name in RUNS}


@pytest.fixture(scope="session")
def ckpts(tmp_path_factory) -> dict[str, Path]:
    """{"image": last.ckpt, "sensor": last.ckpt}; under xdist the first worker makes them, the others wait."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return _pretrain_all(tmp_path_factory.mktemp("export-runs"))
    from filelock import FileLock

    shared = tmp_path_factory.getbasetemp().parent / "export-runs"
    with FileLock(str(shared) + ".lock"):
        done = shared / "done.json"
        if not done.is_file():
            shared.mkdir(exist_ok=True)
            paths = _pretrain_all(shared)
            done.write_text(json.dumps({k: str(v) for k, v in paths.items()}))
        return {k: Path(v) for k, v in json.loads(done.read_text()).items()}
