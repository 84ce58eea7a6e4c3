"""Shared by the evaluation tests: private $VMK_DATA / $VMK_CACHE, a tiny MNIST in its IDX files, and the
config a probe run takes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf

from viewmaker_cli.config import ProbeConfig
from viewmaker_cli.data.idx import write_idx
from viewmaker_cli.data.images import mnist


@pytest.fixture(autouse=True)
def vmk_dirs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No dataset or prepared cache of this machine is found or written by accident."""
    monkeypatch.setenv("VMK_DATA", str(tmp_path / "vmk-data"))
    monkeypatch.setenv("VMK_CACHE", str(tmp_path / "vmk-cache"))
    return tmp_path / "vmk-data"


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


def probe_config(modality: str = "image", views: str = "learned", **probe):
    """What `probe_with_baseline` reads: probe settings over the defaults, seed, model, modality, views, data."""
    settings = OmegaConf.merge(OmegaConf.structured(ProbeConfig), {"epochs": 2, **probe})
    return OmegaConf.create({
        "probe": settings, "seed": 0, "budget": 0.05, "data": {"root": None},
        "model": {"arch": "resnet18_small", "width": 4, "embedding_dim": 8},
        "modality": {"name": modality, "clamp": modality == "image"},
        "views": {"name": views, "expert": "auto", "width": 4, "num_res_blocks": 1},
    })


@pytest.fixture
def vmk_main(capsys, monkeypatch):
    """vmk_main(*args) -> (exit code, stderr) through viewmaker_cli.cli.main in this process (no interpreter
    start), leaving sys.argv and the root logger's handlers (Hydra adds its own) as they were."""
    import logging
    import sys

    from viewmaker_cli.cli import main

    monkeypatch.delenv("HYDRA_FULL_ERROR", raising=False)
    monkeypatch.delenv("VMK_VERBOSE", raising=False)

    def run(*args: str) -> tuple[int, str]:
        monkeypatch.setattr(sys, "argv", list(sys.argv))
        root = logging.getLogger()
        handlers, level = root.handlers[:], root.level
        try:
            main(list(args))
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
        finally:
            root.handlers[:] = handlers
            root.setLevel(level)
        return code, capsys.readouterr().err

    return run
