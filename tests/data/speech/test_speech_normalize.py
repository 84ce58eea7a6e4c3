"""Global z-scoring and its statistics."""

from __future__ import annotations

import pytest
import torch

from viewmaker_cli.data.speech.normalize import DATASET_STATS, fit_stats, zscore


def test_paper_constants() -> None:
    assert DATASET_STATS == {
        "librispeech": (-22.924, 12.587),
        "audiomnist": (-90.293, 11.799),
        "speech_commands": (-46.847, 19.151),
        "fluent_speech": (-31.809, 13.127),
        "voxceleb1": (-37.075, 19.776),
    }


def test_zscore_with_fitted_stats_gives_zero_mean_unit_std() -> None:
    x = torch.randn(50, 1, 8, 8) * 12.0 - 40.0
    mean, std = fit_stats(x)
    assert mean == pytest.approx(float(x.double().mean()))
    assert std == pytest.approx(float(x.double().std(correction=0)))
    z = zscore(x, mean, std)
    assert float(z.mean()) == pytest.approx(0.0, abs=1e-5)
    assert float(z.std(correction=0)) == pytest.approx(1.0, abs=1e-5)


def test_zscore_with_constants() -> None:
    mean, std = DATASET_STATS["librispeech"]
    assert zscore(torch.tensor([mean, mean + std]), mean, std).tolist() == pytest.approx([0.0, 1.0])
