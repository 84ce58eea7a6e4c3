"""The prepared form of every dataset: train and test tensors plus what describes them."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch

from viewmaker_cli.errors import UserError

# How each modality's examples may be stored: images as uint8 [N, C, H, W] (scaled to [0, 1] on the
# device, so the cache and the host-to-device copy stay 4x smaller than float32); speech as z-scored
# log-mel spectrograms [N, 1, n_mels, T] in fp16 or fp32; sensor data as z-scored spectrograms
# [N, C, F, T] or raw series [N, C, T] in fp32.
LAYOUTS: dict[str, set[tuple[torch.dtype, int]]] = {
    "image": {(torch.uint8, 4)},
    # log-mels [N, 1, n_mels, T], or waveforms [N, 1, L] (data.options.waveform=true)
    "audio": {(torch.float16, 4), (torch.float32, 4), (torch.float16, 3), (torch.float32, 3)},
    "sensor": {(torch.float32, 4), (torch.float32, 3)},
}


def model_space(x: torch.Tensor) -> torch.Tensor:
    """Stored examples as views, normalisers and encoders take them: uint8 images to float32 in [0,1], every
    other layout to float32 as it is."""
    return x.float().div_(255) if x.dtype == torch.uint8 else x.float()


@dataclass(frozen=True)
class Splits:
    """A dataset's train and test splits as tensors, ready to be moved to the device once."""

    name: str
    modality: str
    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    num_classes: int
    class_names: list[str]
    source: str  # where the data was read from, recorded in results.json
    # num_classes == 0 means unlabelled (labels are -1): pretraining works, probes are skipped.
    # Anything else a pipeline needs downstream (e.g. normalisation statistics, speaker ids), plain data.
    meta: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.modality not in LAYOUTS:
            known = ", ".join(LAYOUTS)
            raise UserError(f"dataset {self.name}: unknown modality {self.modality!r}; known: {known}")
        if len(self.class_names) != self.num_classes:
            raise UserError(
                f"dataset {self.name} ({self.source}): {len(self.class_names)} class names "
                f"for {self.num_classes} classes"
            )
        for split, x, y in (("train", self.train_x, self.train_y), ("test", self.test_x, self.test_y)):
            self._check_split(split, x, y)
        if self.train_x.shape[1:] != self.test_x.shape[1:]:
            raise UserError(
                f"dataset {self.name} ({self.source}): train examples have shape {tuple(self.train_x.shape[1:])} "
                f"but test examples {tuple(self.test_x.shape[1:])}; use matching files"
            )

    def _check_split(self, split: str, x: torch.Tensor, y: torch.Tensor) -> None:
        where = f"dataset {self.name} ({self.source}), {split} split"
        allowed = LAYOUTS[self.modality]
        if (x.dtype, x.ndim) not in allowed:
            expected = " or ".join(f"{dtype} with {ndim} dims" for dtype, ndim in sorted(allowed, key=str))
            raise UserError(f"{where}: examples are {x.dtype} {tuple(x.shape)}, expected {expected}")
        if x.is_floating_point() and not torch.isfinite(x).all():
            raise UserError(f"{where}: the examples contain NaN or Inf values; check the source files")
        if y.dtype != torch.int64 or y.ndim != 1 or len(y) != len(x):
            raise UserError(f"{where}: labels are {y.dtype} {tuple(y.shape)}, expected int64 [{len(x)}]")
        if len(x) == 0 and (split == "train" or self.num_classes):  # unlabelled data may hold none out
            raise UserError(f"{where} is empty; check the data files")
        if self.num_classes == 0:  # unlabelled data: every label is -1
            if not (y == -1).all():
                raise UserError(f"{where}: unlabelled data (0 classes) must have labels -1")
            return
        low, high = int(y.min()), int(y.max())
        if low < 0 or high >= self.num_classes:
            raise UserError(
                f"{where}: labels span {low}..{high}, outside 0..{self.num_classes - 1}; check the label files"
            )

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The shape of one example: (C, H, W), or (C, T) for raw series."""
        return tuple(self.train_x.shape[1:])

    def to(self, device: torch.device | str) -> Splits:
        """A copy with the four tensors on `device` (the training loop indexes them there)."""
        return dataclasses.replace(
            self,
            train_x=self.train_x.to(device),
            train_y=self.train_y.to(device),
            test_x=self.test_x.to(device),
            test_y=self.test_y.to(device),
        )

    @property
    def labelled(self) -> bool:
        return self.num_classes > 0
