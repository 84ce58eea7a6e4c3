"""`data=tensor_file`: labelled files pretrain and probe; unlabelled ones pretrain and skip the probe."""

import json

import numpy as np
import torch

from tests.vmk_process import run_vmk

TINY = ["model.width=4", "views.width=4", "views.num_res_blocks=1", "trainer.max_steps=2", "probe.epochs=2",
        "data.batch_size=8", "data=tensor_file"]


def vmk(*args):
    return run_vmk(*args)


def test_labelled_npz_pretrains_and_probes(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", x=rng.integers(0, 255, (40, 3, 12, 12), dtype=np.uint8), y=np.arange(40) % 4)
    result = vmk("pretrain", *TINY, "seed=1", f"data.path={tmp_path / 'd.npz'}", f"hydra.run.dir={tmp_path / 'run'}")
    assert result.returncode == 0, result.stderr[-2000:]
    record = json.loads((tmp_path / "run" / "results.json").read_text())
    assert record["data"] == {"name": "tensor_file", "source": str((tmp_path / "d.npz").resolve()), "train": 32, "test": 8}
    assert 0 <= record["metrics"]["probe_top1"] <= 100
    # `vmk probe` holds out the same examples as the run did (the split does not follow the run's seed).
    probe = vmk("probe", f"ckpt={tmp_path / 'run' / 'checkpoints' / 'last.ckpt'}", "seed=1", "probe.epochs=2",
                f"hydra.run.dir={tmp_path / 'probe'}")
    assert probe.returncode == 0, probe.stderr[-2000:]
    again = json.loads((tmp_path / "probe" / "results.json").read_text())
    assert again["metrics"]["probe_top1"] == record["metrics"]["probe_top1"]


def test_unlabelled_sensor_series_pretrain_without_probe_and_probe_command_refuses(tmp_path):
    torch.save({"x": torch.randn(30, 3, 40)}, tmp_path / "series.pt")
    run = tmp_path / "run"
    result = vmk("pretrain", *TINY, "modality=sensor", f"data.path={tmp_path / 'series.pt'}", f"hydra.run.dir={run}")
    assert result.returncode == 0, result.stderr[-2000:]
    record = json.loads((run / "results.json").read_text())
    assert "probe_top1" not in record["metrics"] and record["protocol"] == {}
    assert (record["data"]["train"], record["data"]["test"]) == (30, 0)  # no probe to hold examples out for
    probe = vmk("probe", f"ckpt={run / 'checkpoints' / 'last.ckpt'}", f"hydra.run.dir={tmp_path / 'p'}")
    assert probe.returncode == 2 and "no labels" in probe.stderr and "Traceback" not in probe.stderr


def test_bad_tensor_files_are_one_line_errors(tmp_path):
    np.save(tmp_path / "flat.npy", np.zeros((10, 5), dtype=np.float32))
    for path, needle in ((tmp_path / "flat.npy", "expected [N, C, H, W]"), (tmp_path / "none.npz", "no such file")):
        result = vmk("pretrain", *TINY, f"data.path={path}", f"hydra.run.dir={tmp_path / 'r'}")
        assert result.returncode == 2 and needle in result.stderr and "Traceback" not in result.stderr
