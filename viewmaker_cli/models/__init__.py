"""Encoders."""

from viewmaker_cli.models.resnet import ResNetSmall

__all__ = ["ResNetSmall"]
