"""Contrastive objectives."""

from viewmaker_cli.objectives.simclr import SimCLR, simclr_loss

__all__ = ["SimCLR", "simclr_loss"]
