"""Splits validates its tensors and moves them to a device."""

from __future__ import annotations

import pytest
import torch

from viewmaker_cli.data import Splits
from viewmaker_cli.errors import UserError


def make_splits(**changes: object) -> Splits:
    fields = dict(
        name="toy",
        modality="image",
        train_x=torch.zeros(6, 1, 8, 8, dtype=torch.uint8),
        train_y=torch.tensor([0, 1, 2, 0, 1, 2]),
        test_x=torch.zeros(3, 1, 8, 8, dtype=torch.uint8),
        test_y=torch.tensor([2, 1, 0]),
        num_classes=3,
        class_names=["a", "b", "c"],
        source="memory",
    )
    return Splits(**{**fields, **changes})  # type: ignore[arg-type]


def test_valid_splits() -> None:
    splits = make_splits()
    assert splits.input_shape == (1, 8, 8)
    moved = splits.to("cpu")
    assert moved.train_x.device.type == "cpu" and moved.name == "toy"
    assert torch.equal(moved.test_y, splits.test_y) and moved.class_names == splits.class_names


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"train_x": torch.zeros(6, 1, 8, 8)}, "float32"),
        ({"train_x": torch.zeros(6, 8, 8, dtype=torch.uint8)}, "4 dims"),
        ({"test_y": torch.tensor([2, 1, 3])}, "outside 0..2"),
        ({"train_y": torch.tensor([0, -1, 2, 0, 1, 2])}, "outside"),
        ({"train_y": torch.tensor([0, 1, 2])}, "labels"),
        ({"test_y": torch.tensor([2, 1, 0], dtype=torch.int32)}, "int32"),
        ({"test_x": torch.zeros(0, 1, 8, 8, dtype=torch.uint8), "test_y": torch.tensor([], dtype=torch.int64)}, "empty"),
        ({"test_x": torch.zeros(3, 1, 9, 9, dtype=torch.uint8)}, "shape"),
        ({"class_names": ["a", "b"]}, "class names"),
        ({"modality": "smell"}, "modality"),
    ],
)
def test_invalid_splits_raise_user_error(changes: dict[str, object], message: str) -> None:
    with pytest.raises(UserError, match=message):
        make_splits(**changes)
