"""Objectives: one file each (an `Objective` subclass, base.py, and its config dataclass), listed by name in
table.py."""

from viewmaker_cli.objectives.simclr import SimCLR, simclr_loss

__all__ = ["SimCLR", "simclr_loss"]
