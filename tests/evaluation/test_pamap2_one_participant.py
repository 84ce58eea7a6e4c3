"""PAMAP2's one-participant setting (Table 4): an encoder of PAMAP2's shape probed with subject 101's labels
only, tested on subject 105, from fake Protocol files in the real format."""

import torch

from tests.data.sensor import sensor_fakes
from tests.evaluation.probe_fixtures import probe_config
from viewmaker_cli.data import load_dataset
from viewmaker_cli.evaluation.probe_run import probe_with_baseline
from viewmaker_cli.evaluation.settings import check_probe_config
from viewmaker_cli.models.encoder import Normalizer, build_encoder
from viewmaker_cli.views.families import build_views


def test_one_participant_probe_trains_on_subject_101_and_tests_on_105(tmp_path):
    for subject in (1, 5):
        sensor_fakes.write_table(tmp_path / "Protocol" / f"subject10{subject}.dat", sensor_fakes.fake_table(subject))
    options = {"window": 64, "train_windows": 32, "eval_windows": 16}
    splits = load_dataset("pamap2_one_participant", root=str(tmp_path), options=options)
    assert splits.meta["train_subjects"] == [101] and splits.meta["test_subjects"] == [105]
    cfg = probe_config("sensor", "learned", kind="paper", also=["knn"], label_fraction=0.5, baseline=False,
                       paper={"sensor": {"epochs": 1}}, transfer=["pamap2_one_participant"])
    check_probe_config(cfg["probe"], "sensor", str(tmp_path))  # found where data.root points
    cfg["probe"]["transfer"] = []
    encoder = build_encoder(cfg, 52, 2)
    view, _ = build_views(cfg, 52, 2, {})
    metrics, protocol = probe_with_baseline(encoder, Normalizer.identity(52), splits, cfg, view=view)
    assert set(metrics) == {"probe_top1", "probe_train_top1", "knn_top1"}
    assert protocol["layer"] == "pooled" and protocol["train_examples"] < 32 and protocol["label_fraction"] == 0.5
    assert torch.isfinite(torch.tensor(list(metrics.values()))).all()
