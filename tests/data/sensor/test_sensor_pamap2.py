"""PAMAP2 on a fake Protocol folder in the real format: reading, interpolation, activities, splits, windows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from tests.data.sensor.sensor_fakes import FAKE_RUNS, RAMP_COLUMN, fake_table, write_table
from viewmaker_cli.data import catalog
from viewmaker_cli.data.sensor import pamap2, pamap2_files
from viewmaker_cli.data.sensor.spectrogram import channel_stats
from viewmaker_cli.errors import UserError

WINDOW = 64  # small windows keep the tests fast: 32 bins × (1 + 63 // 32) = 2 frames
SMALL = {"window": WINDOW, "train_windows": 300, "eval_windows": 60}


def kept_runs(runs=FAKE_RUNS) -> list[tuple[int, int]]:
    return [(a, n) for a, n in runs if a in pamap2_files.ACTIVITIES]


def test_interpolation_is_linear_and_fills_the_ends() -> None:
    values = np.array([[np.nan, 1.0], [2.0, np.nan], [np.nan, np.nan], [8.0, 7.0], [np.nan, np.nan]])
    filled = pamap2_files.interpolate_nans(values)
    # Inner gaps: linear over the row index; trailing: last value (as pandas); leading: first value (pandas keeps NaN).
    np.testing.assert_allclose(filled[:, 0], [2.0, 2.0, 5.0, 8.0, 8.0])
    np.testing.assert_allclose(filled[:, 1], [1.0, 3.0, 5.0, 7.0, 7.0])
    assert np.isnan(values).sum() == 6, "the input is left alone"
    assert (pamap2_files.interpolate_nans(np.full((3, 1), np.nan)) == 0).all()


def test_subject_segments_keep_the_activities_and_interpolate(tmp_path: Path) -> None:
    path = write_table(tmp_path / "subject103.dat", fake_table(3))
    segments = pamap2_files.prepare_subject(path, 3, use_cache=False)
    runs = kept_runs()
    assert segments.series.shape == (52, sum(n for _, n in runs)) and segments.series.dtype == np.float32
    assert not np.isnan(segments.series).any()
    assert segments.length.tolist() == [n for _, n in runs]
    assert segments.start.tolist() == np.cumsum([0] + [n for _, n in runs[:-1]]).tolist()
    ids = list(pamap2_files.ACTIVITIES)
    assert segments.label.tolist() == [ids.index(a) for a, _ in runs]  # 1→0, 4→3, 24→10, 12→7
    assert segments.label.tolist() == [0, 3, 10, 3, 7] and (segments.group == 3).all()
    # The ramp column: every kept row holds 0.5 × its row number in the file, holes included.
    rows = np.concatenate([np.arange(sum(n for _, n in FAKE_RUNS[:i]), sum(n for _, n in FAKE_RUNS[: i + 1]))
                           for i, (a, _) in enumerate(FAKE_RUNS) if a in pamap2_files.ACTIVITIES])
    np.testing.assert_allclose(segments.series[RAMP_COLUMN - 2], 0.5 * rows, rtol=1e-6)


def test_time_gap_splits_a_segment(tmp_path: Path) -> None:
    table = fake_table(1, [(5, 100)])
    table[60:, 0] += 2.0  # two seconds missing in the middle of the run
    segments = pamap2_files.prepare_subject(write_table(tmp_path / "subject101.dat", table), 1, use_cache=False)
    assert segments.length.tolist() == [60, 40] and segments.label.tolist() == [4, 4]


def test_segments_are_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_table(tmp_path / "subject102.dat", fake_table(2))
    first = pamap2_files.prepare_subject(path, 2)
    monkeypatch.setattr(pamap2_files, "read_protocol_file", lambda p: pytest.fail("read again despite the cache"))
    second = pamap2_files.prepare_subject(path, 2)
    assert np.array_equal(first.series, second.series) and np.array_equal(first.label, second.label)


def test_malformed_file_names_file_and_row(tmp_path: Path) -> None:
    path = write_table(tmp_path / "subject101.dat", fake_table(1))
    lines = path.read_text().splitlines()
    lines[6] = " ".join(lines[6].split()[:40])
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(UserError, match=r"subject101\.dat.*row 7.*54 space-separated"):
        pamap2_files.read_protocol_file(path)


def test_missing_files_say_where_and_how(fake_pamap2) -> None:
    root = fake_pamap2(subjects=(1, 2, 3))
    with pytest.raises(UserError) as error:
        catalog.load_dataset("pamap2", root=str(root))
    message = str(error.value)
    assert "subject109.dat" in message and str(root / "PAMAP2_Dataset" / "Protocol") in message
    assert pamap2_files.UCI_URL in message
    with pytest.raises(UserError, match="cannot download"):
        pamap2.load_pamap2(str(root), download=True)


def test_locate_finds_the_protocol_folder(fake_pamap2) -> None:
    root = fake_pamap2(subjects=(1, 5))
    assert catalog.DATASETS["pamap2_one_participant"].locate(str(root)) == root / "PAMAP2_Dataset" / "Protocol"
    assert catalog.DATASETS["pamap2"].locate(str(root)) is None
    assert catalog.DATASETS["pamap2"].locate(str(root / "PAMAP2_Dataset")) is None


def test_subject_splits(fake_pamap2) -> None:
    root = fake_pamap2()
    assert sorted(set(pamap2.pamap2_segments(root, "train").group.tolist())) == [1, 2, 3, 4, 7, 8, 9]
    assert set(pamap2.pamap2_segments(root, "val").group.tolist()) == {5}
    assert set(pamap2.pamap2_segments(root, "test").group.tolist()) == {6}
    assert set(pamap2.pamap2_segments(root, "one_participant").group.tolist()) == {1}
    with pytest.raises(UserError, match="unknown PAMAP2 split"):
        pamap2.pamap2_segments(root, "holdout")


def test_sampler_windows_within_one_segment_and_seeded(fake_pamap2) -> None:
    root = fake_pamap2(subjects=(5,))
    segments = pamap2.pamap2_segments(root, "val")
    sampler = pamap2.pamap2_sampler(root, "val", seed=4, window=WINDOW)
    start, label = sampler.positions(500)
    seg = np.searchsorted(segments.start, start.numpy(), side="right") - 1
    assert (start.numpy() + WINDOW <= segments.start[seg] + segments.length[seg]).all()
    assert (label.numpy() == segments.label[seg]).all()
    x, y = pamap2.pamap2_sampler(root, "val", seed=4, window=WINDOW).sample(8)
    x2, y2 = pamap2.pamap2_sampler(root, "val", seed=4, window=WINDOW).sample(8)
    x3, _ = pamap2.pamap2_sampler(root, "val", seed=5, window=WINDOW).sample(8)
    assert x.shape == (8, 52, WINDOW) and torch.equal(x, x2) and torch.equal(y, y2) and not torch.equal(x, x3)
    spec = sampler.spectrograms(x)
    assert spec.shape == (8, 52, 32, 2) and torch.isfinite(spec).all()


def test_full_size_window_gives_52_by_32_by_32(fake_pamap2) -> None:
    root = fake_pamap2(subjects=(5,), runs=[(0, 10), (3, 1200), (7, 1000)])
    sampler = pamap2.pamap2_sampler(root, "val", seed=0)
    x, y = sampler.sample(4)
    assert x.shape == (4, 52, 1000) and sampler.spectrograms(x).shape == (4, 52, 32, 32)
    assert set(y.tolist()) <= {2, 6}


def test_splits_with_paper_normalisation(fake_pamap2) -> None:
    splits = catalog.DATASETS["pamap2"].loader(root=str(fake_pamap2()), **SMALL)
    assert splits.modality == "sensor" and splits.num_classes == 11 and splits.class_names[10] == "rope jumping"
    assert splits.train_x.shape == (300, 52, 32, 2) and splits.test_x.shape == (60, 52, 32, 2)
    assert splits.train_x.dtype == torch.float32 and splits.train_y.dtype == torch.int64
    # Stairs up (label 7) has 30 rows, too few for a 64-sample window, so it never appears.
    assert set(splits.train_y.tolist()) == {0, 3, 10} and set(splits.test_y.tolist()) == {0, 3, 10}
    assert splits.meta["norm_mean"] == pytest.approx(pamap2.PAPER_MEANS) and splits.meta["normalisation"] == "paper"
    assert splits.meta["train_subjects"] == [101, 102, 103, 104, 107, 108, 109]
    assert splits.meta["test_subjects"] == [105] and splits.meta["test_split"] == "val"
    again = pamap2.load_pamap2(str(fake_pamap2()), **SMALL)
    assert torch.equal(splits.train_x, again.train_x), "the fixed pools are seeded"


def test_train_normalisation_uses_training_windows_only(fake_pamap2, tmp_path: Path) -> None:
    root = fake_pamap2()
    splits = pamap2.load_pamap2(str(root), normalisation="train", **SMALL)
    torch.testing.assert_close(splits.train_x.mean(dim=(0, 2, 3)), torch.zeros(52), atol=1e-4, rtol=0)
    torch.testing.assert_close(splits.train_x.std(dim=(0, 2, 3), correction=0), torch.ones(52), atol=1e-3, rtol=0)
    raw_train, _ = pamap2.window_pool(pamap2.pamap2_segments(root, "train"), 300, pamap2.TRAIN_SEED, WINDOW, "train")
    mean, std = channel_stats(raw_train)
    assert splits.meta["norm_mean"] == pytest.approx(mean.tolist()) and splits.meta["norm_std"] == pytest.approx(std.tolist())
    # Changing the evaluation subject's data changes the test pool, not the statistics.
    write_table(root / "PAMAP2_Dataset" / "Protocol" / "subject105.dat", fake_table(5) * 3)
    changed = pamap2.load_pamap2(str(root), normalisation="train", **SMALL)
    assert changed.meta["norm_mean"] == splits.meta["norm_mean"] and not torch.equal(changed.test_x, splits.test_x)


def test_one_participant_and_test_subject(fake_pamap2) -> None:
    root = fake_pamap2(subjects=(1, 5, 6))
    small = catalog.DATASETS["pamap2_one_participant"].loader(root=str(root), **SMALL)
    assert small.name == "pamap2_one_participant" and small.meta["train_subjects"] == [101]
    on_test = pamap2.load_pamap2_one_participant(str(root), eval_split="test", **SMALL)
    assert on_test.meta["test_subjects"] == [106]
