"""The probe kinds through the real CLI: `vmk pretrain` in a subprocess, then `vmk probe` of its checkpoint and a
bad setting through viewmaker_cli.cli.main in this process."""

import json

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from tests.evaluation.probe_fixtures import write_mnist
from tests.vmk_process import run_vmk

TINY = ["data=tensor_file", "model.width=4", "views.width=4", "views.num_res_blocks=1", "data.batch_size=8",
        "trainer.max_steps=2", "trainer.image_every_n_steps=0", "probe.epochs=2"]
PROBES = ["probe.kind=paper", "probe.paper.image.epochs=1", "probe.paper.image_transfer.epochs=1",
          "probe.also=[knn,linear]", "probe.label_fraction=0.5", "probe.transfer=[mnist]", "probe.corruptions=true",
          "probe.severities=[5]", "probe.corruption_examples=8"]


def vmk_process(*args, data_home):
    return run_vmk(*args, env={"VMK_DATA": str(data_home), "VMK_CACHE": str(data_home / "cache")})


def pretrain(base):
    rng = np.random.default_rng(0)
    y, y_test = np.arange(48) % 4, np.arange(24) % 4
    x = (rng.integers(0, 120, (48, 1, 32, 32)) + 30 * y[:, None, None, None]).astype(np.uint8)  # classes differ in brightness
    x_test = (rng.integers(0, 120, (24, 1, 32, 32)) + 30 * y_test[:, None, None, None]).astype(np.uint8)
    np.savez(base / "d.npz", x=x, y=y, x_test=x_test, y_test=y_test)
    write_mnist(base / "data" / "mnist")
    result = vmk_process("pretrain", *TINY, *PROBES, f"data.path={base / 'd.npz'}", f"hydra.run.dir={base / 'run'}", data_home=base / "data")
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads((base / "run" / "results.json").read_text())


def test_pretrain_writes_every_kind_and_the_checkpoint_reproduces_them(tmp_path, vmk):
    record = pretrain(tmp_path)
    metrics, protocol = record["metrics"], record["protocol"]
    for name in ("probe_top1", "knn_top1", "linear_top1", "untrained_probe_top1", "untrained_knn_top1",
                 "transfer/mnist/probe_top1", "transfer/mnist/knn_top1", "corruption/clean_top1",
                 "corruption/corrupted_top1", "corruption/drop", "corruption/fog_top1"):
        assert name in metrics, name
    assert (protocol["kind"], protocol["layer"], protocol["epochs"]) == ("paper", "prepool", 1)
    assert protocol["views_during_probe"].startswith("learned") and protocol["label_fraction"] == 0.5
    assert protocol["train_examples"] == 24 and protocol["metrics"]["knn_top1"]["kind"] == "knn"
    assert protocol["transfer"]["mnist"]["train"] == 30
    events = EventAccumulator(str(tmp_path / "run" / "tb"), size_guidance={"scalars": 0})
    events.Reload()
    assert {"probe/probe_top1", "probe/knn_top1", "probe/transfer/mnist/probe_top1"} <= set(events.Tags()["scalars"])

    code, _, stderr = vmk("probe", f"ckpt={tmp_path / 'run' / 'checkpoints' / 'last.ckpt'}", "probe.kind=knn",
                            "probe.also=[paper]", "probe.paper.image.epochs=1", "probe.label_fraction=0.5",
                            "probe.baseline=false", f"hydra.run.dir={tmp_path / 'probe'}")
    assert code == 0, stderr[-3000:]
    again = json.loads((tmp_path / "probe" / "results.json").read_text())
    assert again["protocol"]["kind"] == "knn" and again["protocol"]["kinds"]["paper"]["views_during_probe"].startswith("learned")
    assert again["metrics"]["probe_top1"] == metrics["knn_top1"]  # kNN trains nothing: exactly equal
    assert again["metrics"]["paper_top1"] == pytest.approx(metrics["probe_top1"], abs=1e-6)  # seeded views


def test_a_bad_probe_setting_stops_the_run_before_training_in_one_line(tmp_path, vmk):
    code, _, stderr = vmk("pretrain", "probe.also=[knnn]", f"hydra.run.dir={tmp_path}")
    assert code == 2 and stderr.strip().splitlines() == [
        "vmk: error: probe.also: unknown probe kind 'knnn' (choose from: linear, paper, knn)"
    ], stderr
    assert not (tmp_path / "results.json").exists() and not (tmp_path / "checkpoints").exists()
