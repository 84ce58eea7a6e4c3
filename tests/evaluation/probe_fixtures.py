"""Shared by the evaluation tests: a tiny MNIST in its IDX files, and the config a probe run takes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from omegaconf import OmegaConf

from viewmaker_cli.config import ProbeConfig
from viewmaker_cli.data.idx import write_idx
from viewmaker_cli.data.images import mnist


def write_mnist(directory: Path, n_train: int = 30, n_test: int = 12) -> Path:
    """MNIST's four IDX files (28x28 digits, labels 0..2) in `directory`."""
    rng = np.random.default_rng(0)
    arrays = [
        rng.integers(0, 256, size=(n_train, 28, 28), dtype=np.uint8), (np.arange(n_train) % 3).astype(np.uint8),
        rng.integers(0, 256, size=(n_test, 28, 28), dtype=np.uint8), (np.arange(n_test) % 3).astype(np.uint8),
    ]
    directory.mkdir(parents=True, exist_ok=True)
    for name, array in zip(mnist.FILES, arrays, strict=True):
        write_idx(directory / name, array)
    return directory


def probe_config(modality: str = "image", views: str = "learned", **probe) -> dict:
    """What `probe_with_baseline` reads, as a run's resolved config: probe settings over the defaults, seed, model,
    modality, views, data."""
    settings = OmegaConf.merge(OmegaConf.structured(ProbeConfig), {"epochs": 2, **probe})
    return {
        "probe": OmegaConf.to_container(settings), "seed": 0, "budget": 0.05, "data": {"root": None},
        "model": {"arch": "resnet18_small", "width": 4, "embedding_dim": 8},
        "modality": {"name": modality, "clamp": modality == "image"},
        "views": {"name": views, "expert": "auto", "width": 4, "num_res_blocks": 1},
    }
