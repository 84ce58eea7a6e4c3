"""vmk as a normal package: a wheel built from the repository, installed without the checkout, runs its
commands from an unrelated folder (the YAML tree, the launcher presets and the embedded data are package
data)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _run(cmd: list[str], cwd: Path, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict]:
    """(the installed `vmk` script, its environment): the wheel in a fresh venv of its own. Its dependencies
    come from this environment's site-packages through a path entry, so the install takes seconds and needs
    no network; a path entry runs no .pth file, so this environment's editable finder (which maps
    viewmaker_cli to the checkout) is not installed there."""
    root = tmp_path_factory.mktemp("wheel")
    uv = Path(sys.executable).with_name("uv")
    if not uv.is_file():
        pytest.skip("uv is not installed in this environment (scripts/install.sh installs it)")
    # Built from a copy: the build's own files (build/, *.egg-info) stay out of the checkout.
    source = root / "source"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(".*", "outputs", "multirun", "build", "dist", "*.egg-info", "__pycache__", "tests"))
    build = _run([str(uv), "build", "--wheel", "--no-build-isolation", "--python", sys.executable, "-o", str(root / "dist"), str(source)], cwd=source)
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = (root / "dist").glob("vmk-*.whl")
    venv = root / "venv"
    assert _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=root).returncode == 0
    python = venv / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=root).stdout.strip())
    (site / "vmk-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = _run([str(uv), "pip", "install", "--no-deps", "--compile-bytecode", "--python", str(python), str(wheel)], cwd=root)
    assert install.returncode == 0, install.stderr[-2000:]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HYDRA_FULL_ERROR", "VMK_VERBOSE")}
    env.update(VMK_DATA=str(root / "vmk-data"), VMK_CACHE=str(root / "vmk-cache"))
    return venv / "bin" / "vmk", env


def test_the_wheel_holds_the_config_tree_presets_and_embedded_data(installed) -> None:
    vmk, _ = installed
    (wheel,) = vmk.parents[2].glob("dist/vmk-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in Path(REPO, "conf").rglob("*.yaml"):
        assert f"viewmaker_cli/conf/{path.relative_to(REPO / 'conf').as_posix()}" in names
    assert "viewmaker_cli/conf/hydra/launcher/slurm.yaml" in names
    assert any(n.startswith("viewmaker_cli/data/embedded/basic-motions/") for n in names)
    assert "hydra_plugins/vmk_launcher/parallel_launcher.py" in names


def test_installed_vmk_runs_from_an_unrelated_folder(installed, tmp_path) -> None:
    vmk, env = installed
    where = _run([str(vmk.with_name("python")), "-c", "import viewmaker_cli; print(viewmaker_cli.__file__)"], cwd=tmp_path, env=env)
    assert str(vmk.parents[1]) in where.stdout, "the installed package, not the checkout, must be imported"

    job = _run([str(vmk), "pretrain", "--cfg", "job"], cwd=tmp_path, env=env)
    assert job.returncode == 0, job.stderr[-2000:]
    assert "budget: 0.05" in job.stdout and "fashion_mnist_subset" in job.stdout

    help_ = _run([str(vmk), "pretrain", "--help"], cwd=tmp_path, env=env)
    assert help_.returncode == 0 and "Traceback" not in help_.stderr and "objective" in help_.stdout

    run_dir = tmp_path / "run"
    train = _run([str(vmk), "pretrain", f"hydra.run.dir={run_dir}", "trainer.max_steps=2", "data.batch_size=16",
                  "model.width=4", "views.width=4", "probe.epochs=1", "probe.also=[]", "probe.baseline=false"],
                 cwd=tmp_path, env=env, timeout=600)
    assert train.returncode == 0, train.stderr[-2000:]
    record = json.loads((run_dir / "results.json").read_text())
    assert record["metrics"]["probe_top1"] >= 0 and record["config"]["trainer"]["max_steps"] == 2
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()

    report = _run([str(vmk), "report", str(run_dir)], cwd=tmp_path, env=env)
    assert report.returncode == 0, report.stderr[-2000:]
    assert (run_dir / "results.md").is_file() and "fashion_mnist_subset" in (run_dir / "results.md").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"], "nothing written outside the run dir"
