"""`vmk pretrain modality=audio|sensor` end to end on the embedded data, tiny settings."""

import json
import os
import subprocess
import sys

import pytest

TINY = ["model.width=4", "views.width=4", "views.num_res_blocks=1", "trainer.max_steps=2", "probe.epochs=2",
        "trainer.log_every_n_steps=1", "trainer.image_every_n_steps=1"]
# Every probe kind on every modality's embedded data, on half the labels: the paper's protocol (with the run's
# views during probe training) and kNN beside the fast linear probe.
PROBES = ["probe.also=[knn,paper]", "probe.paper.audio.epochs=1", "probe.paper.sensor.epochs=1",
          "probe.label_fraction=0.5"]


@pytest.mark.parametrize(
    "overrides, shape",
    [
        (["modality=audio", "data.batch_size=32", "data.options.n_speakers=20"], [1, 64, 64]),
        # waveforms on the device, time-domain expert views, the log-mel front end before the encoder
        (["modality=audio", "data.batch_size=16", "data.options.n_speakers=20", "data.options.waveform=true", "views=expert"],
         [1, 16000]),
        (["modality=sensor"], [6, 8, 25]),
        (["modality=sensor", "data=basic_motions_raw"], [6, 100]),
    ],
)
def test_other_modalities_pretrain_probe_and_log_views(overrides, shape, tmp_path, tmp_path_factory):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    env = {**os.environ, "VMK_DATA": str(tmp_path_factory.getbasetemp() / "vmk-data")}
    result = subprocess.run([sys.executable, "-m", "viewmaker_cli", "pretrain", *overrides, *TINY, *PROBES, f"hydra.run.dir={tmp_path}"],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    record = json.loads((tmp_path / "results.json").read_text())
    assert record["config"]["modality"]["clamp"] is False and record["config"]["modality"]["normalize"] == "before"
    assert 0 <= record["metrics"]["probe_top1"] <= 100
    for kind in ("knn", "paper"):  # each kind's number and the protocol that produced it
        assert 0 <= record["metrics"][f"{kind}_top1"] <= 100 and f"untrained_{kind}_top1" in record["metrics"]
    kinds = record["protocol"]["kinds"]
    assert kinds["knn"]["k"] == 200 and kinds["paper"]["optimizer"] == "sgd"
    assert kinds["paper"]["views_during_probe"] != "none"  # the run's views, during probe training only
    assert record["protocol"]["label_fraction"] == 0.5
    events = EventAccumulator(str(tmp_path / "tb"), size_guidance={"images": 0})
    events.Reload()
    assert "views/original_views_delta" in events.Tags()["images"]
    assert "distortion/psnr" not in events.Tags()["scalars"]  # PSNR only means something for images
    import torch

    checkpoint = torch.load(tmp_path / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    assert checkpoint["vmk"]["input_shape"] == shape
