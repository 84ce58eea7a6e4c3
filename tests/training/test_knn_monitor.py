"""The live kNN monitor: monitor/knn_top1 every probe.monitor_every_n_steps steps (about 10 times a run by default,
0 off), the kNN top-1 of a fixed subset of the held-out split; the encoder's mode and the training RNG untouched;
none without labels."""

from __future__ import annotations

import types

import pytest
import torch

from viewmaker_cli.data.splits import Splits
from viewmaker_cli.evaluation.knn import knn_predict
from viewmaker_cli.models.encoder import Normalizer
from viewmaker_cli.models.resnet import ResNetSmall
from viewmaker_cli.training.knn_monitor import fixed_subset, knn_monitors

TINY = ["modality=sensor", "model.width=4", "views.width=4", "views.num_res_blocks=1", "data.batch_size=8", "trainer.max_steps=4",
        "probe.epochs=1", "probe.also=[]", "probe.baseline=false", "trainer.image_every_n_steps=0", "trainer.log_every_n_steps=1"]


def splits(labelled: bool = True) -> Splits:
    g = torch.Generator().manual_seed(0)
    y = (torch.arange(60) % 3) if labelled else torch.full((60,), -1)
    return Splits("toy", "sensor", torch.randn(60, 2, 16, generator=g), y, torch.randn(30, 2, 16, generator=g), y[:30],
                  3 if labelled else 0, ["a", "b", "c"] if labelled else [], "test")


def probe(**changes) -> dict:
    return {"enabled": True, "monitor_every_n_steps": None, "knn_k": 5, "knn_temperature": 0.1, "layer": "pooled",
            "monitor_bank": 40, "monitor_queries": 20, **changes}


def test_knn_top1_of_the_fixed_subsets_with_the_encoder_mode_and_rng_untouched():
    data = splits()
    [monitor] = knn_monitors(probe(), data, seed=3)
    module = types.SimpleNamespace(encoder=ResNetSmall(2, 4, 8, dims=1), normalizer=Normalizer.identity(2, 1), device=torch.device("cpu"))
    monitor.on_fit_start(types.SimpleNamespace(estimated_stepping_batches=205), module)
    assert monitor.every == 20  # about ten times over 205 steps
    module.encoder.train()
    state = torch.get_rng_state()
    top1 = monitor.knn_top1(module)
    assert module.encoder.training and torch.equal(torch.get_rng_state(), state)
    bank, queries = fixed_subset(60, 40, 3), fixed_subset(30, 20, 4)
    assert torch.equal(bank, fixed_subset(60, 40, 3)) and len(set(bank.tolist())) == 40
    module.encoder.eval()
    with torch.no_grad():
        feats = lambda x: module.encoder.features(x, layer="pooled")  # noqa: E731
        predicted = knn_predict(feats(data.train_x[bank]), data.train_y[bank], feats(data.test_x[queries]), 3, 5, 0.1)
    assert top1 == pytest.approx((predicted == data.test_y[queries]).float().mean().item() * 100)


def test_no_monitor_when_off_without_labels_or_without_probes():
    assert knn_monitors(probe(monitor_every_n_steps=0), splits(), 0) == []
    assert knn_monitors(probe(), splits(labelled=False), 0) == []
    assert knn_monitors(probe(enabled=False), splits(), 0) == []
    assert knn_monitors(probe(monitor_every_n_steps=7), splits(), 0)[0].every == 7


def test_a_run_logs_monitor_knn_top1_every_n_steps(vmk, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run = tmp_path / "run"
    code, _, err = vmk("pretrain", *TINY, "probe.monitor_every_n_steps=2", f"hydra.run.dir={run}")
    assert code == 0, err
    events = EventAccumulator(str(run / "tb"), size_guidance={"scalars": 0})
    events.Reload()
    logged = events.Scalars("monitor/knn_top1")
    assert [e.step for e in logged] == [2, 4] and all(0 <= e.value <= 100 for e in logged)


def test_a_negative_interval_is_one_line(vmk, tmp_path):
    code, _, err = vmk("pretrain", "probe.monitor_every_n_steps=-1", f"hydra.run.dir={tmp_path / 'run'}")
    assert code == 2 and err.count("\n") == 1 and "probe.monitor_every_n_steps must be at least 0" in err, err
