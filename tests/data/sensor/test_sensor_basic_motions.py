"""The embedded BasicMotions in both forms, its sampler, and the sensor YAML files."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from viewmaker_cli.data import DATASETS, load_dataset
from viewmaker_cli.data.sensor.basic_motions import basic_motions_sampler, read_basic_motions
from viewmaker_cli.data.sensor.spectrogram import channel_stats
from viewmaker_cli.errors import UserError

CONF = Path(__file__).resolve().parents[3] / "conf" / "data"


def test_registered_names() -> None:
    names = {"basic_motions", "basic_motions_raw", "pamap2", "pamap2_one_participant"}
    assert names <= set(DATASETS)
    assert all(DATASETS[n].modality == "sensor" and DATASETS[n].description for n in names)
    assert DATASETS["basic_motions"].embedded and DATASETS["basic_motions_raw"].embedded
    assert not DATASETS["pamap2"].embedded and DATASETS["pamap2"].locate and DATASETS["pamap2"].how_to_get


def test_spectrogram_form() -> None:
    splits = load_dataset("basic_motions", root="/nonexistent")
    assert splits.train_x.shape == (40, 6, 8, 25) and splits.test_x.shape == (40, 6, 8, 25)
    assert splits.num_classes == 4 and splits.class_names == ["Standing", "Running", "Walking", "Badminton"]
    # z-scored with the training statistics: exact on train, only roughly on test.
    torch.testing.assert_close(splits.train_x.mean(dim=(0, 2, 3)), torch.zeros(6), atol=1e-5, rtol=0)
    torch.testing.assert_close(splits.train_x.std(dim=(0, 2, 3), correction=0), torch.ones(6), atol=1e-4, rtol=0)
    assert splits.test_x.mean(dim=(0, 2, 3)).abs().max() > 1e-3
    assert splits.meta["n_fft"] == 15 and splits.meta["hop_length"] == 4


def test_raw_form() -> None:
    splits = load_dataset("basic_motions_raw")
    train, test = read_basic_motions()
    mean, std = channel_stats(torch.from_numpy(train.x))
    assert splits.input_shape == (6, 100) and splits.train_y.tolist() == train.y.tolist()
    expected = (torch.from_numpy(test.x) - mean.reshape(1, 6, 1)) / std.reshape(1, 6, 1)
    torch.testing.assert_close(splits.test_x, expected)
    assert splits.meta["norm_mean"] == pytest.approx(mean.tolist())


def test_sampler_forms() -> None:
    raw = basic_motions_sampler("raw", window=64, seed=1)
    x, y = raw.sample(16)
    assert x.shape == (16, 6, 64) and y.shape == (16,) and int(y.max()) < 4
    x2, _ = basic_motions_sampler("raw", window=64, seed=1).sample(16)
    assert torch.equal(x, x2)
    spec = basic_motions_sampler("spectrogram", window=100, seed=0)
    xs, _ = spec.sample(4)
    assert spec.spectrograms(xs).shape == (4, 6, 8, 25)
    with pytest.raises(UserError, match="unknown BasicMotions form"):
        basic_motions_sampler("image")


def test_full_windows_are_whole_cases() -> None:
    x, y = basic_motions_sampler("raw", window=100, seed=0).sample(8)
    splits = load_dataset("basic_motions_raw")
    for window, label in zip(x, y, strict=True):
        match = (splits.train_x == window).flatten(1).all(dim=1)
        assert match.sum() == 1 and splits.train_y[match].item() == label


def test_yaml_files_name_registered_datasets() -> None:
    for name in ("basic_motions", "basic_motions_raw", "pamap2", "pamap2_one_participant"):
        text = (CONF / f"{name}.yaml").read_text()
        assert f"name: {name}\n" in text and "pad_to: null" in text
    assert "- basic_motions\n" in (CONF / "sensor_quickstart.yaml").read_text()
    assert "batch_size: 128" in (CONF / "sensor_paper.yaml").read_text()
