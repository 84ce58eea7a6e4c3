"""`vmk data list|check|prepare` on a machine that has none of the paper datasets."""

import os
import subprocess
import sys

import numpy as np

from viewmaker_cli.data import DATASETS
from viewmaker_cli.data.fashion_mnist import save_fashion_mnist


def vmk_data(*args, env):
    return subprocess.run([sys.executable, "-m", "viewmaker_cli", "data", *args], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "250", **env}, timeout=120)


def test_list_marks_embedded_found_and_paper_datasets_missing_with_how_to_get_them(tmp_path):
    result = vmk_data("list", f"root={tmp_path / 'empty'}", env={"VMK_DATA": str(tmp_path / "data"), "COLUMNS": "100"})
    assert result.returncode == 0, result.stderr
    assert max(map(len, result.stdout.splitlines())) <= 100
    urls = {word.strip("(),") for info in DATASETS.values() for word in (info.how_to_get or "").split() if "://" in word}
    assert urls and all(url in result.stdout for url in urls)  # whole, on one line each, not broken across cells
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if line.count("│") >= 5}
    assert set(DATASETS) <= set(rows)
    for name, info in DATASETS.items():
        found = rows[name].split("│")[3].strip()
        assert found == ("yes" if info.embedded else "no"), (name, rows[name])


def test_prepare_then_check_a_dataset_found_under_root(tmp_path):
    rng = np.random.default_rng(0)
    root = tmp_path / "fm"
    save_fashion_mnist(root, rng.integers(0, 255, (20, 28, 28)), np.arange(20) % 10, rng.integers(0, 255, (10, 28, 28)),
                       np.arange(10) % 10)
    env = {"VMK_DATA": str(tmp_path / "data"), "VMK_CACHE": str(tmp_path / "cache")}
    listed = vmk_data("list", f"root={root}", env=env)
    assert "fashion_mnist " in listed.stdout and str(root) in listed.stdout
    prepared = vmk_data("prepare", "fashion_mnist", f"data.root={root}", env=env)
    assert prepared.returncode == 0 and "20 train / 10 test, 1x32x32" in prepared.stdout
    assert len(list((tmp_path / "cache").glob("*.pt"))) == 1
    checked = vmk_data("check", "fashion_mnist", f"root={root}", env=env)
    assert checked.returncode == 0 and "train" in checked.stdout and "2 2 2 2 2 2 2 2 2 2" in checked.stdout


def test_unknown_dataset_and_bad_option_are_one_line_errors(tmp_path):
    for args, needle in ((("prepare", "nope"), "unknown dataset 'nope'"), (("check", "mnist", "colour=1"), "unknown option"),
                         (("prepare",), "vmk data prepare needs the dataset's NAME (vmk data list shows them)")):
        result = vmk_data(*args, env={"VMK_DATA": str(tmp_path)})
        assert result.returncode == 2 and needle in result.stderr and len(result.stderr.strip().splitlines()) == 1
