"""The encoder a run trains, built from its config, and the transform applied to views before it."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from viewmaker_cli.models.resnet import ResNetSmall

ARCHS = {"resnet18_small": "small", "resnet18": "imagenet"}  # arch -> ResNet stem


def build_encoder(cfg: dict, in_channels: int, dims: int = 2) -> ResNetSmall:
    """ResNet-18 for `in_channels` inputs of `dims` spatial dims: "resnet18_small" (3x3 stem, no max-pool:
    CIFAR, PAMAP2) or "resnet18" (torchvision's 7x7/2 stem + max-pool: the authors' speech encoder)."""
    arch = cfg["model"]["arch"]
    if arch not in ARCHS:
        raise ValueError(f"unknown model.arch {arch!r} (known: {', '.join(ARCHS)})")
    m = cfg["model"]
    return ResNetSmall(in_channels, width=m["width"], embedding_dim=m["embedding_dim"], dims=dims, stem=ARCHS[arch])


class Normalizer(nn.Module):
    """Per-channel (x − mean)/std, applied after the viewmaker for images (reference §1.3)."""

    def __init__(self, mean: Tensor, std: Tensor, dims: int = 2):
        super().__init__()
        shape = (1, -1) + (1,) * dims
        self.register_buffer("mean", mean.float().reshape(shape))
        self.register_buffer("std", std.float().reshape(shape))

    def forward(self, x: Tensor) -> Tensor:
        return (x - self.mean) / self.std

    def encoder_input(self, channels: int, dims: int) -> tuple[int, int]:
        """Channels and spatial dims of what the encoder sees (a speech front end changes them)."""
        return channels, dims

    @classmethod
    def identity(cls, channels: int, dims: int = 2) -> "Normalizer":
        return cls(torch.zeros(channels), torch.ones(channels), dims)

    @classmethod
    def of(cls, x: Tensor) -> "Normalizer":
        """The per-channel statistics of model-space examples `x` [N, C, ...] (std floored: a constant channel
        must not divide by zero)."""
        over = [0] + list(range(2, x.ndim))
        return cls(x.mean(over), x.std(over).clamp_min(1e-6), x.ndim - 2)
