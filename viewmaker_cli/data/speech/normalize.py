"""Global z-scoring of log-mel spectrograms: one (mean, std) scalar pair per dataset (reference §3.2)."""

from __future__ import annotations

import torch

# The authors' constants, in the doubled dB units of the log-mel front end. Each dataset, transfer
# sets included, is normalised with its own pair, never LibriSpeech's.
DATASET_STATS: dict[str, tuple[float, float]] = {
    "librispeech": (-22.924, 12.587),
    "audiomnist": (-90.293, 11.799),
    "speech_commands": (-46.847, 19.151),
    "fluent_speech": (-31.809, 13.127),
    "voxceleb1": (-37.075, 19.776),
}


def zscore(x: torch.Tensor, mean: float, std: float) -> torch.Tensor:
    """(x − mean) / std with scalar statistics."""
    return (x - mean) / std


def fit_stats(x: torch.Tensor) -> tuple[float, float]:
    """Mean and (population) standard deviation over every element, accumulated in float64."""
    x = x.double()
    return float(x.mean()), float(x.std(correction=0))
