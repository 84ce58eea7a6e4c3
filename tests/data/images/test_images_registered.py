"""Every image dataset is in the catalogue, locatable, loadable by name, and has a config file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf

from tests.data.images.cifar_files import CifarWriter
from viewmaker_cli.data import DATASETS, load_dataset

NAMES = ["cifar10", "cifar100", "mnist", "svhn", "stl10", "image_folder", "cifar10_corners"]
CONF = Path(__file__).parents[3] / "conf" / "data"


@pytest.mark.parametrize("name", NAMES)
def test_registered_with_locate_and_help(name: str, tmp_path: Path) -> None:
    info = DATASETS[name]
    assert info.modality == "image" and not info.embedded and info.description
    assert "data.root=" in info.how_to_get
    assert info.locate is not None and info.locate(str(tmp_path)) is None and info.locate(None) is None
    conf = OmegaConf.load(CONF / f"{name}.yaml")
    assert conf.name == name and set(conf) <= {"name", "root", "download", "pad_to", "batch_size"}


def test_load_by_name(tmp_path: Path, write_cifar10: CifarWriter) -> None:
    write_cifar10(tmp_path)
    splits = load_dataset("cifar10", root=str(tmp_path))
    assert splits.train_x.shape == (15, 3, 32, 32)
    assert DATASETS["cifar10"].locate(str(tmp_path)) == tmp_path / "cifar-10-batches-py"
    assert DATASETS["cifar10_corners"].locate(str(tmp_path)) == tmp_path / "cifar-10-batches-py"


def test_paper_preset_uses_cifar10() -> None:
    conf = OmegaConf.load(CONF / "image_paper.yaml")
    assert list(conf.defaults) == ["cifar10", "_self_"] and conf.batch_size == 256
    assert np.all([(CONF / f"{name}.yaml").is_file() for name in NAMES])
