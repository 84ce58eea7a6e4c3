"""ResNet-18 "small": the CIFAR-style ResNet-18 (3x3 stem, no max-pool) used as the paper's encoder."""

from __future__ import annotations

import math
from collections.abc import Sequence

from torch import Tensor, nn

_CONV = {1: nn.Conv1d, 2: nn.Conv2d}
_BN = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d}
_POOL = {1: nn.AdaptiveAvgPool1d, 2: nn.AdaptiveAvgPool2d}
_MAXPOOL = {1: nn.MaxPool1d, 2: nn.MaxPool2d}

FEATURE_LAYERS = ("pooled", "prepool")
STEMS = ("small", "imagenet")
_STAGE_STRIDES = (1, 2, 2, 2)


def _check_layer(layer: str) -> None:
    if layer not in FEATURE_LAYERS:
        raise ValueError(f"unknown feature layer {layer!r}; expected one of {', '.join(FEATURE_LAYERS)}")


class _BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers plus a shortcut (1x1 conv-BN when the shape changes), ReLU after the sum."""

    def __init__(self, dims: int, in_ch: int, out_ch: int, stride: int) -> None:
        super().__init__()
        conv, bn = _CONV[dims], _BN[dims]
        self.body = nn.Sequential(
            conv(in_ch, out_ch, 3, stride=stride, padding=1, bias=False),
            bn(out_ch),
            nn.ReLU(inplace=True),
            conv(out_ch, out_ch, 3, padding=1, bias=False),
            bn(out_ch),
        )
        self.shortcut = nn.Identity()
        if stride != 1 or in_ch != out_ch:
            self.shortcut = nn.Sequential(conv(in_ch, out_ch, 1, stride=stride, bias=False), bn(out_ch))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.relu(self.body(x) + self.shortcut(x))


class ResNetSmall(nn.Module):
    """ResNet-18 with a 3x3 stride-1 stem and no max-pool, stages of width w/2w/4w/8w, then a linear head.

    `dims=2` takes `[B, C, H, W]`, `dims=1` takes `[B, C, T]`. The head maps the pooled 8w features
    straight to `embedding_dim` (the paper uses no projection MLP). PyTorch default init.
    """

    def __init__(
        self, in_channels: int = 3, width: int = 64, embedding_dim: int = 128, dims: int = 2, stem: str = "small"
    ) -> None:
        super().__init__()
        if dims not in _CONV:
            raise ValueError(f"dims must be 1 or 2, got {dims}")
        self.dims = dims
        self.pooled_dim = 8 * width
        if stem not in STEMS:
            raise ValueError(f"stem must be one of {STEMS}, got {stem!r}")
        self.stem_kind = stem
        # "small": 3x3 stride 1, no max-pool (CIFAR, PAMAP2). "imagenet": torchvision's 7x7 stride-2 conv
        # and 3x3 stride-2 max-pool, which the authors used for speech (1-channel log-mel input).
        first = (
            [_CONV[dims](in_channels, width, 3, padding=1, bias=False)]
            if stem == "small"
            else [_CONV[dims](in_channels, width, 7, stride=2, padding=3, bias=False)]
        )
        tail = [] if stem == "small" else [_MAXPOOL[dims](3, stride=2, padding=1)]
        self.stem = nn.Sequential(
            *first, _BN[dims](width), nn.ReLU(inplace=True), *tail
        )
        stages: list[nn.Module] = []
        in_ch = width
        for i, stride in enumerate(_STAGE_STRIDES):
            out_ch = width * 2**i
            stages.append(nn.Sequential(_BasicBlock(dims, in_ch, out_ch, stride), _BasicBlock(dims, out_ch, out_ch, 1)))
            in_ch = out_ch
        self.stages = nn.Sequential(*stages)
        # The authors use avg_pool(kernel 4), which equals a global pool only for 32x32 input;
        # an adaptive pool to 1 is identical there and gives a fixed 8w vector for any input size.
        self.pool = nn.Sequential(_POOL[dims](1), nn.Flatten())
        self.head = nn.Linear(self.pooled_dim, embedding_dim)

    def features(self, x: Tensor, layer: str = "pooled") -> Tensor:
        """Frozen-probe features: "pooled" (8w) or "prepool" (the last stage's map, flattened)."""
        _check_layer(layer)
        h = self.stages(self.stem(x))
        return h.flatten(1) if layer == "prepool" else self.pool(h)

    def feature_dim(self, layer: str, input_shape: Sequence[int]) -> int:
        """Length of `features(x, layer)` for one example of shape `input_shape` = (C, *spatial)."""
        _check_layer(layer)
        if layer == "pooled":
            return self.pooled_dim
        spatial = 1
        strides = _STAGE_STRIDES if self.stem_kind == "small" else (2, 2, *_STAGE_STRIDES)  # 7x7/2 conv, 3x3/2 pool
        for size in input_shape[-self.dims :]:
            # A 3x3 conv with padding 1 and stride s maps n to ceil(n / s) (so do the imagenet stem's two).
            for stride in strides:
                size = math.ceil(size / stride)
            spatial *= size
        return self.pooled_dim * spatial

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x, "pooled"))
