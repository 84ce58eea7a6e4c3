"""`vmk pretrain -m hydra/launcher=parallel ...` through the real CLI: a 2-job sweep on tiny settings in
which one job fails, with fake GPU ids (this machine has no GPU; the ids only travel in the environment).
Sensor data (40 + 40 series): the jobs' time is their start-up, not the probe's features."""

import json
import os
import re
import subprocess
import sys

from omegaconf import OmegaConf

from hydra_plugins.vmk_launcher._slots import threads_per_job

TINY = ["modality=sensor", "model.width=4", "views.width=4", "views.num_res_blocks=1", "trainer.max_steps=2",
        "probe.epochs=2", "probe.baseline=false", "trainer.image_every_n_steps=0"]


def test_parallel_sweep_runs_each_job_in_its_own_process_on_its_own_device_and_records_the_failed_one(tmp_path):
    env = {**os.environ, "HYDRA_FULL_ERROR": "0"}
    for key in ("VMK_VERBOSE", "OMP_NUM_THREADS", "CUDA_VISIBLE_DEVICES"):
        env.pop(key, None)
    command = [sys.executable, "-m", "viewmaker_cli", "pretrain", "-m", "hydra/launcher=parallel", "hydra.launcher.devices=[7,9]",
               "data.batch_size=8,100000", *TINY, f"hydra.sweep.dir={tmp_path}"]
    vmk = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    _, stderr = vmk.communicate(timeout=300)

    assert vmk.returncode == 1, stderr[-3000:]  # a failed job fails the sweep, as with Hydra's basic launcher
    assert "vmk: 1 job(s) of the sweep failed" in stderr and "fewer than one batch" in stderr
    runs = {p.name.split("_")[0]: p for p in tmp_path.iterdir() if p.is_dir()}
    assert sorted(runs) == ["0", "1"]
    pids = {}
    for num, device in (("0", "7"), ("1", "9")):
        run = runs[num]
        hydra_cfg = OmegaConf.load(run / ".hydra" / "hydra.yaml").hydra
        assert hydra_cfg.mode == "MULTIRUN" and hydra_cfg.job.num == int(num)
        assert (run / ".hydra" / "config.yaml").is_file() and (run / ".hydra" / "overrides.yaml").is_file()
        found = re.search(rf"job {num} runs in process (\d+) on CUDA_VISIBLE_DEVICES=(\S*) ", (run / "pretrain.log").read_text())
        assert found and found.group(2) == device, (run / "pretrain.log").read_text()[-2000:]
        pids[num] = int(found.group(1))
    assert len({*pids.values(), vmk.pid}) == 3  # two job processes, neither of them the sweep's own

    ok = json.loads((runs["0"] / "results.json").read_text())
    assert ok["status"] == "ok" and 0 <= ok["metrics"]["probe_top1"] <= 100 and ok["train"]["steps"] == 2
    assert (runs["0"] / "checkpoints" / "last.ckpt").is_file()
    assert ok["device"]["threads"] == threads_per_job(2)  # two jobs at once share the cores
    failed = json.loads((runs["1"] / "results.json").read_text())
    assert failed["status"] == "failed" and "fewer than one batch" in failed["error"]
