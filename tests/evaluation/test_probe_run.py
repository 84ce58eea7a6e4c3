"""Every probe kind together on each modality, in process: the metric names, their values against a direct
computation, and the protocol written beside them."""

import dataclasses

import pytest
import torch

from tests.evaluation.probe_fixtures import probe_config, write_mnist
from viewmaker_cli.data import Splits, load_dataset
from viewmaker_cli.errors import UserError
from viewmaker_cli.evaluation.corruptions import CORRUPTIONS
from viewmaker_cli.evaluation.few_label import stratified_subset
from viewmaker_cli.evaluation.knn import knn_predict
from viewmaker_cli.evaluation.linear_probe import embed
from viewmaker_cli.evaluation.probe_run import probe_with_baseline
from viewmaker_cli.evaluation.settings import check_probe_config
from viewmaker_cli.models.encoder import Normalizer, build_encoder
from viewmaker_cli.views.families import build_views


def networks(cfg, splits, meta=None):
    channels, dims = splits.train_x.shape[1], splits.train_x.ndim - 2
    torch.manual_seed(1)
    view, _ = build_views(cfg, channels, dims, meta or {})
    return build_encoder(cfg, channels, dims), Normalizer.identity(channels, dims), view


def test_image_all_kinds_few_labels_corruptions_transfer_and_baseline(tmp_path):
    full = load_dataset("fashion_mnist_subset")
    splits = dataclasses.replace(full, train_x=full.train_x[::60], train_y=full.train_y[::60],
                                 test_x=full.test_x[::50], test_y=full.test_y[::50])  # 100 / 40, all classes
    write_mnist(tmp_path / "mnist")
    cfg = probe_config(kind="paper", also=["knn", "linear"], label_fraction=0.5, corruptions=True, severities=[5],
                       corruption_examples=8, transfer=["mnist"], transfer_root=str(tmp_path),
                       paper={"image": {"epochs": 1}, "image_transfer": {"epochs": 1}})
    encoder, normalizer, view = networks(cfg, splits)
    metrics, protocol = probe_with_baseline(encoder, normalizer, splits, cfg, view=view)

    names = ["probe_top1", "probe_train_top1", "knn_top1", "linear_top1"]
    names += [f"untrained_{n}" for n in ("probe_top1", "knn_top1", "linear_top1")]
    names += [f"transfer/mnist/{n}" for n in ("probe_top1", "probe_train_top1", "knn_top1", "linear_top1")]
    names += [f"corruption/{n}" for n in ("clean_top1", "corrupted_top1", "drop", "severity5_top1")]
    names += [f"corruption/{n}_top1" for n in CORRUPTIONS]
    assert sorted(metrics) == sorted(names) and all(0 <= v <= 100 for k, v in metrics.items() if k != "corruption/drop")

    keep = stratified_subset(splits.train_y, 0.5, 0)  # the kNN number, computed directly
    bank = embed(encoder, normalizer, splits.train_x[keep], "pooled")
    predicted = knn_predict(bank, splits.train_y[keep], embed(encoder, normalizer, splits.test_x, "pooled"), 10)
    assert metrics["knn_top1"] == pytest.approx((predicted == splits.test_y).float().mean().item() * 100)
    per_name = [metrics[f"corruption/{n}_top1"] for n in CORRUPTIONS]
    assert metrics["corruption/corrupted_top1"] == pytest.approx(sum(per_name) / 15)
    assert metrics["corruption/drop"] == pytest.approx(metrics["corruption/clean_top1"] - metrics["corruption/corrupted_top1"])

    assert (protocol["kind"], protocol["layer"], protocol["epochs"]) == ("paper", "prepool", 1)
    assert protocol["views_during_probe"].startswith("learned") and protocol["train_examples"] == len(keep) < 60
    assert set(protocol["kinds"]) == {"paper", "knn", "linear"} and protocol["kinds"]["knn"]["k"] == 200
    assert protocol["metrics"]["knn_top1"] == {"kind": "knn", "data": "fashion_mnist_subset", "split": "test", "encoder": "pretrained"}
    assert protocol["metrics"]["untrained_probe_top1"]["kind"] == "paper" and "corruption/*" in protocol["metrics"]
    assert all(n in protocol["metrics"] or n.startswith("corruption/") for n in metrics)
    assert protocol["corruptions"]["examples"] == 8 and protocol["corruptions"]["severities"] == [5]
    assert protocol["transfer"]["mnist"]["inputs"] == "resized 28x28 -> 32x32 (shorter side, centre crop)"
    assert protocol["transfer"]["mnist"]["protocols"]["paper"]["layer"] == "pooled"  # Table 1's transfer protocol


def test_sensor_paper_probe_uses_expert_views_and_pooled_features():
    splits = load_dataset("basic_motions")  # embedded, 40 / 40
    cfg = probe_config("sensor", "expert", kind="paper", also=[], baseline=False, paper={"sensor": {"epochs": 1}})
    encoder, normalizer, view = networks(cfg, splits)
    metrics, protocol = probe_with_baseline(encoder, normalizer, splits, cfg, view=view)
    assert sorted(metrics) == ["probe_top1", "probe_train_top1"]
    assert (protocol["layer"], protocol["weight_decay"], protocol["batch_size"]) == ("pooled", 1e-4, 256)
    assert protocol["views_during_probe"] == "expert: the run's hand-made set (spectral)"
    with pytest.raises(UserError, match="probe.corruptions and probe.cifar10c_root are for image data"):
        check_probe_config(probe_config(corruptions=True)["probe"], "sensor")


def test_audio_paper_probe_with_specaugment_on_log_mels():
    g = torch.Generator().manual_seed(0)
    y = torch.arange(24) % 3
    x = (torch.randn(24, 1, 64, 64, generator=g) + y.view(-1, 1, 1, 1)).half()  # z-scored log-mels, fp16
    meta = {"mean": -40.0, "std": 12.0}
    splits = Splits("digits", "audio", x[:16], y[:16], x[16:], y[16:], 3, ["a", "b", "c"], "synthetic", meta)
    cfg = probe_config("audio", "expert", kind="paper", also=["knn"], baseline=False, paper={"audio": {"epochs": 1}})
    encoder, normalizer, view = networks(cfg, splits, meta)
    metrics, protocol = probe_with_baseline(encoder, normalizer, splits, cfg, view=view)
    assert sorted(metrics) == ["knn_top1", "probe_top1", "probe_train_top1"]
    assert (protocol["layer"], protocol["batch_size"], protocol["milestones"]) == ("prepool", 256, [])
    assert "specaugment" in protocol["views_during_probe"]


@pytest.mark.parametrize("settings, message", [
    ({"also": ["knnn"]}, "probe.also: unknown probe kind 'knnn'"),
    ({"kind": "svm"}, "probe.kind: unknown probe kind 'svm'"),
    ({"label_fraction": 0.0}, "probe.label_fraction must be in"),
    ({"severities": [0, 6]}, "probe.severities must be"),
    ({"transfer": ["cifar11"]}, "probe.transfer: unknown dataset 'cifar11'"),
    ({"transfer": ["mnist"]}, "probe.transfer: mnist not found"),
    ({"transfer": ["basic_motions"]}, "basic_motions is sensor data, this encoder is for image data"),
    ({"cifar10c_root": "/nonexistent"}, "CIFAR-10-C not found"),
    ({"knn_k": 0}, "probe.knn_k must be at least 1"),
])
def test_probe_settings_are_checked_before_anything_runs(settings, message):
    with pytest.raises(UserError, match=message):
        check_probe_config(probe_config(**settings)["probe"], "image")
