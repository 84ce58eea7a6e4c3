"""scripts/gpu_check.sh is proven on the CPU before GPU time is spent: its rehearsal runs every step at tiny
sizes and writes the summary the GPU run writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]


def test_the_cpu_rehearsal_runs_every_step_and_writes_the_summary(tmp_path):
    env = {**os.environ, "OUT": str(tmp_path / "out"), "VMK": str(Path(sys.executable).with_name("vmk")),
           "VMK_DATA": str(tmp_path / "data"), "VMK_CACHE": str(tmp_path / "cache"), "HYDRA_FULL_ERROR": "0"}
    done = subprocess.run(["bash", str(REPO / "scripts" / "gpu_check.sh"), "--cpu-rehearsal"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "CPU rehearsal" in summary
    for mode in ("reference", "alternating", "simultaneous", "expert", "noise", "encoder"):
        assert f"| {mode} |" in summary
    assert "probe top-1" in summary and "vmk pretrain data=fashion_mnist" in summary
    results = json.loads((tmp_path / "out" / "fashion_mnist" / "results.json").read_text())
    assert results["config"]["data"]["name"] == "fashion_mnist" and results["data"]["train"] == 512  # the IDX files it wrote
    assert json.loads((tmp_path / "out" / "bench-256" / "bench.json").read_text())["modes"]["alternating"]["images_per_s"] > 0
    assert "Operator tables (1 steps each" in summary  # the profile the GPU run brings back for each mode
    assert "aten::" in (tmp_path / "out" / "bench-256" / "profile-alternating.txt").read_text()


@pytest.mark.skipif(torch.cuda.is_available(), reason="with a GPU this would start the real run")
def test_without_a_gpu_the_real_run_stops_in_one_line(tmp_path):
    env = {**os.environ, "OUT": str(tmp_path / "out"), "VMK": str(Path(sys.executable).with_name("vmk"))}
    done = subprocess.run(["bash", str(REPO / "scripts" / "gpu_check.sh")], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.strip().count("\n") == 0 and "--cpu-rehearsal" in done.stderr
