"""ResNet-18 small: shapes, the probe layers, no max-pool, the 1-D form and the parameter count."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from viewmaker_cli.models import ResNetSmall


@pytest.mark.parametrize("channels", [1, 3, 52])
@pytest.mark.parametrize("size", [28, 32])
def test_output_and_feature_shapes(channels: int, size: int) -> None:
    width = 8
    model = ResNetSmall(in_channels=channels, width=width, embedding_dim=16)
    x = torch.randn(2, channels, size, size)
    assert model(x).shape == (2, 16)
    assert model.features(x, "pooled").shape == (2, 8 * width)
    assert model.features(x).shape == (2, model.pooled_dim)
    prepool = model.features(x, "prepool")
    # 28 -> 28, 14, 7, 4 and 32 -> 32, 16, 8, 4: both end at 4x4.
    assert prepool.shape == (2, 8 * width * 4 * 4)
    assert model.feature_dim("prepool", (channels, size, size)) == prepool.shape[1]
    assert model.feature_dim("pooled", (channels, size, size)) == 8 * width


@pytest.mark.parametrize("shape", [(3, 64, 64), (3, 17, 40)])
def test_feature_dim_matches_features_for_other_sizes(shape: tuple[int, ...]) -> None:
    model = ResNetSmall(in_channels=shape[0], width=4)
    assert model.feature_dim("prepool", shape) == model.features(torch.randn(1, *shape), "prepool").shape[1]


def test_no_max_pool_first_stage_keeps_full_resolution() -> None:
    model = ResNetSmall(width=8)
    assert not any(isinstance(m, (nn.MaxPool1d, nn.MaxPool2d)) for m in model.modules())
    seen: list[torch.Size] = []
    model.stages[0].register_forward_hook(lambda _m, _i, out: seen.append(out.shape))
    model(torch.randn(2, 3, 32, 32))
    assert seen == [torch.Size([2, 8, 32, 32])]


def test_one_dimensional_form() -> None:
    model = ResNetSmall(in_channels=6, width=8, embedding_dim=16, dims=1)
    assert not any(isinstance(m, nn.Conv2d) for m in model.modules())
    x = torch.randn(2, 6, 100)
    assert model(x).shape == (2, 16)
    # 100 -> 100, 50, 25, 13
    assert model.features(x, "prepool").shape == (2, 64 * 13)
    assert model.feature_dim("prepool", (6, 100)) == 64 * 13


def test_bad_layer_name_raises() -> None:
    model = ResNetSmall(width=4)
    with pytest.raises(ValueError, match="pooled, prepool"):
        model.features(torch.randn(1, 3, 8, 8), "layer5")
    with pytest.raises(ValueError, match="pooled, prepool"):
        model.feature_dim("fc", (3, 8, 8))


def test_resnet18_parameter_count() -> None:
    # The standard CIFAR ResNet-18 has 11,173,962 parameters with a 512->10 fc (5,130 of them);
    # a 512->128 head has 65,664 instead.
    count = sum(p.numel() for p in ResNetSmall(width=64, embedding_dim=128).parameters())
    assert count == 11_173_962 - 5_130 + 65_664


def test_shortcut_convs_only_where_shape_changes() -> None:
    model = ResNetSmall(width=8)
    one_by_one = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (1, 1)]
    # Stages 2, 3, 4 change width and stride in their first block; stage 1 does not.
    assert len(one_by_one) == 3


def test_imagenet_stem_quarters_the_resolution_and_feature_dim_matches():
    import torch

    from viewmaker_cli.models import ResNetSmall

    net = ResNetSmall(1, width=4, stem="imagenet")
    x = torch.randn(2, 1, 64, 64)
    assert net.stem(x).shape[-2:] == (16, 16)  # 7x7 stride-2 conv, then 3x3 stride-2 max-pool
    assert net.features(x, "prepool").shape[1] == net.feature_dim("prepool", (1, 64, 64)) == 32 * 2 * 2
    small = ResNetSmall(1, width=4)
    assert small.features(x, "prepool").shape[1] == small.feature_dim("prepool", (1, 64, 64)) == 32 * 8 * 8
