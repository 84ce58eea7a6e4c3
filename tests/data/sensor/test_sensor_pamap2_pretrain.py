"""`vmk pretrain data=pamap2` on a fake Protocol folder: fresh windows per batch, exact per (seed, step)."""

import json
import os
import subprocess
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

SMALL = ["modality=sensor", "data=pamap2", "data.options.window=64", "data.options.train_windows=64",
         "data.options.eval_windows=32", "data.windows_per_epoch=48", "data.batch_size=16", "model.width=4",
         "views.width=4", "views.num_res_blocks=1", "trainer.max_steps=4", "trainer.log_every_n_steps=1",
         "trainer.image_every_n_steps=0", "probe.epochs=2", "deterministic=true"]


def run(root, out, *extra):
    env = {**os.environ}
    return subprocess.run([sys.executable, "-m", "viewmaker_cli", "pretrain", *SMALL, f"data.root={root}", *extra,
                           f"hydra.run.dir={out}"], capture_output=True, text=True, timeout=300, env=env)


def losses(out):
    events = EventAccumulator(str(out / "tb"))
    events.Reload()
    return [e.value for e in events.Scalars("train/loss")]


def test_pamap2_pretrains_on_sampled_windows_reproducibly(fake_pamap2, tmp_path):
    root = fake_pamap2()
    first = run(root, tmp_path / "a")
    assert first.returncode == 0, first.stderr[-3000:]
    record = json.loads((tmp_path / "a" / "results.json").read_text())
    assert record["data"]["train"] == 64 and record["data"]["test"] == 32
    assert record["train"]["steps"] == 4 and record["train"]["epochs"] == 2  # 48 windows / 16 = 3 batches an epoch
    assert run(root, tmp_path / "b").returncode == 0
    assert losses(tmp_path / "a") == losses(tmp_path / "b")  # (other seeds, other windows: test_sensor_windows)
