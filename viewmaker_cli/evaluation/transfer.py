"""Transfer: the same frozen encoder probed on other datasets of its modality (the paper's Tables 1 and 2).

Each dataset is read with its own `conf/data/<name>.yaml` settings, composed by Hydra as `data=<name>` is.
Inputs must have the shape the encoder was trained on; images are adapted as the paper's transfer sets were
(reference §3.1): resized so the shorter side fits, centre-cropped, and greyscale repeated to RGB.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional as F

from viewmaker_cli.data import Splits, load_dataset
from viewmaker_cli.data.catalog import DATASETS, config_options, data_config
from viewmaker_cli.errors import UserError


def check_names(names: list[str]) -> None:
    for name in names:
        if name == "tensor_file":
            raise UserError("probe.transfer cannot take tensor_file (it needs a path): probe the file with vmk probe ckpt=... data=tensor_file data.path=FILE")
        if name not in DATASETS:
            raise UserError(f"probe.transfer: unknown dataset {name!r}; known: {', '.join(sorted(DATASETS))}")


def resize_images(x: Tensor, height: int, width: int, device: torch.device, chunk: int = 2048) -> Tensor:
    """uint8 [N, C, h, w] → uint8 [N, C, height, width]: bilinear (antialiased) resize of the shorter side,
    then a centre crop, as torchvision's Resize + CenterCrop; in chunks on `device`, kept on the CPU."""
    n, c, h, w = x.shape
    scale = max(height / h, width / w)
    size = (max(height, int(h * scale)), max(width, int(w * scale)))  # torchvision truncates the long side
    top, left = int(round((size[0] - height) / 2)), int(round((size[1] - width) / 2))
    out = torch.empty(n, c, height, width, dtype=torch.uint8)
    for start in range(0, n, chunk):
        batch = x[start : start + chunk].to(device).float()
        batch = F.interpolate(batch, size=size, mode="bilinear", align_corners=False, antialias=True)
        out[start : start + chunk] = batch[..., top : top + height, left : left + width].round().clamp(0, 255).to(torch.uint8).cpu()
    return out


def adapt(splits: Splits, input_shape: tuple[int, ...], device: torch.device) -> tuple[Splits, str]:
    """`splits` with inputs of `input_shape`, and what was done to them (UserError when it cannot be)."""
    shape = tuple(splits.input_shape)
    if shape == tuple(input_shape):
        return splits, "as stored"
    can_adapt = splits.modality == "image" and len(shape) == 3 and shape[0] in (1, input_shape[0])
    if not can_adapt:
        raise UserError(
            f"probe.transfer: {splits.name} has inputs of shape {shape} but the encoder was trained on "
            f"{tuple(input_shape)}; {splits.modality} transfer needs the same shape"
            + (" (RGB images cannot be made greyscale for a 1-channel encoder)" if splits.modality == "image" else "")
        )
    steps = []

    def convert(x: Tensor) -> Tensor:
        if tuple(x.shape[-2:]) != tuple(input_shape[1:]):
            x = resize_images(x, input_shape[1], input_shape[2], device)
        return x.expand(-1, input_shape[0], -1, -1).contiguous() if x.shape[1] != input_shape[0] else x

    if tuple(shape[1:]) != tuple(input_shape[1:]):
        steps.append(f"resized {shape[1]}x{shape[2]} -> {input_shape[1]}x{input_shape[2]} (shorter side, centre crop)")
    if shape[0] != input_shape[0]:
        steps.append(f"grey repeated to {input_shape[0]} channels")
    adapted = Splits(
        splits.name, splits.modality, convert(splits.train_x), splits.train_y, convert(splits.test_x), splits.test_y,
        splits.num_classes, splits.class_names, splits.source, splits.meta,
    )
    return adapted, ", ".join(steps)


def load_transfer(name: str, modality: str, input_shape: tuple[int, ...], root: str | None, device: torch.device) -> tuple[Splits, dict]:
    """Dataset `name` ready for the encoder, and its record for results.json."""
    data = data_config(name)
    # Images are read at their own size and resized as the paper did (vmk's zero-padding is not used).
    pad_to = None if modality == "image" else data["pad_to"]
    splits = load_dataset(name, root=root, download=data["download"], pad_to=pad_to, options=config_options(data, modality))
    if splits.modality != modality:
        raise UserError(f"probe.transfer: {name} is {splits.modality} data, the encoder was trained on {modality} data")
    if not splits.labelled:
        raise UserError(f"probe.transfer: {name} has no labels to probe with")
    splits, inputs = adapt(splits, input_shape, device)
    record = {"source": splits.source, "train": len(splits.train_y), "test": len(splits.test_y),
              "classes": splits.num_classes, "inputs": inputs, "options": data["options"]}
    return splits, record
