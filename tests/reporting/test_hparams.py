"""A run's HPARAMS record: every setting, its final metrics at its last step; a single run writes the experiment
record TensorBoard reads, a sweep's run leaves it to the sweep's end."""

import pytest
from lightning.pytorch.loggers import TensorBoardLogger
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2

from viewmaker_cli.reporting.hparams import HPARAMS, log_hparams

CONFIG = {"budget": 0.05, "seed": 3, "data": {"name": "d", "batch_size": 16}, "modality": {"name": "sensor"},
          "views": {"name": "learned", "update": "alternating", "expert": "auto", "lr": 1e-3},
          "objective": {"name": "simclr"}, "model": {"arch": "resnet18_small", "width": 4, "embedding_dim": 128},
          "optim": {"lr": 0.03}, "trainer": {"max_steps": 7, "max_epochs": 3},
          "probe": {"kind": "linear", "layer": "pooled", "epochs": 2}}


@pytest.mark.parametrize("in_sweep", [False, True])
def test_every_setting_and_metric_at_the_last_step(tmp_path, in_sweep):
    logger = TensorBoardLogger(save_dir=tmp_path, name="tb", version="")
    log_hparams(logger, CONFIG, {"probe_top1": 61.5, "train_images_per_s": 9.0}, step=7, in_sweep=in_sweep)
    events = EventAccumulator(str(tmp_path / "tb"))
    events.Reload()
    content = events.PluginTagToContent("hparams")
    start = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"]).session_start_info
    assert set(start.hparams) == set(HPARAMS)
    assert ("_hparams_/experiment" in content) is not in_sweep
    assert [(e.step, e.value) for e in events.Scalars("hparams/probe_top1")] == [(7, 61.5)]
