"""A folder of PNGs, one sub-folder per class, written with PIL."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from viewmaker_cli.data.images import image_folder
from viewmaker_cli.errors import UserError

RED, BLUE = (255, 0, 0), (0, 0, 255)


def solid(path: Path, colour: tuple[int, int, int], size: tuple[int, int], mode: str = "RGB") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).convert(mode).save(path)


def write_folder(root: Path, test: str = "test") -> None:
    solid(root / "train" / "zebra" / "a.png", RED, (40, 64))  # portrait: resized then centre-cropped
    solid(root / "train" / "zebra" / "b.JPG", RED, (32, 32))
    solid(root / "train" / "ant" / "c.png", BLUE, (100, 50))
    (root / "train" / "ant" / "notes.txt").write_text("not an image")
    solid(root / test / "ant" / "d.png", BLUE, (20, 20))
    solid(root / test / "zebra" / "e.png", (128, 128, 128), (64, 64), mode="L")  # grey becomes RGB


def test_round_trip(tmp_path: Path) -> None:
    write_folder(tmp_path)
    splits = image_folder.load_image_folder(root=str(tmp_path))
    assert splits.class_names == ["ant", "zebra"]  # sorted
    assert splits.train_x.shape == (3, 3, 32, 32) and splits.train_x.dtype == torch.uint8
    assert splits.train_y.tolist() == [0, 1, 1] and splits.test_y.tolist() == [0, 1]
    assert (splits.train_x[0].permute(1, 2, 0) == torch.tensor(BLUE, dtype=torch.uint8)).all()
    # JPEG is lossy: close to red, not exact.
    assert (splits.train_x[1:].float().mean(dim=(2, 3)) - torch.tensor([255.0, 0, 0])).abs().max() < 8
    assert (splits.test_x[1] == 128).all()
    assert splits.meta["test_folder"] == "test"


def test_val_folder_size_and_padding(tmp_path: Path) -> None:
    write_folder(tmp_path, test="val")
    splits = image_folder.load_image_folder(root=str(tmp_path), pad_to=24, image_size=16)
    assert splits.train_x.shape == (3, 3, 24, 24) and int(splits.train_x[:, :, :4].sum()) == 0
    assert splits.meta["test_folder"] == "val"


def test_centre_crop_keeps_the_middle(tmp_path: Path) -> None:
    image = np.zeros((40, 80, 3), dtype=np.uint8)
    image[:, 20:60] = 200  # the middle half of a wide image
    path = tmp_path / "wide.png"
    Image.fromarray(image).save(path)
    decoded = image_folder.decode(path, 20)  # 80x40 -> 40x20 -> crop x 10..30
    assert decoded.shape == (3, 20, 20)
    assert (decoded[:, :, 2:18] == 200).all()


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=f"image folder not found.*{tmp_path}.*data.root="):
        image_folder.load_image_folder(root=str(tmp_path))
    solid(tmp_path / "train" / "cat" / "a.png", RED, (8, 8))
    with pytest.raises(UserError, match=f"no test split.*{tmp_path / 'test'} or {tmp_path / 'val'}"):
        image_folder.load_image_folder(root=str(tmp_path))
    (tmp_path / "test" / "cat").mkdir(parents=True)
    with pytest.raises(UserError, match=f"no images in {tmp_path / 'test'}"):
        image_folder.load_image_folder(root=str(tmp_path))
    broken = tmp_path / "test" / "cat" / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(UserError, match=f"cannot decode the image {broken}"):
        image_folder.load_image_folder(root=str(tmp_path))
    broken.unlink()
    solid(tmp_path / "test" / "dog" / "b.png", RED, (8, 8))
    with pytest.raises(UserError, match="class folders dog that train/ lacks"):
        image_folder.load_image_folder(root=str(tmp_path))
