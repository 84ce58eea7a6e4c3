"""Objectives: one file each (an `Objective` subclass, base.py), their config dataclasses in configs.py (torch-free),
listed by name in table.py."""

from __future__ import annotations

from typing import Any

__all__ = ["SimCLR", "simclr_loss"]


def __getattr__(name: str) -> Any:
    """SimCLR and simclr_loss on first use: importing objectives.configs must not import torch."""
    if name in __all__:
        from viewmaker_cli.objectives import simclr

        return getattr(simclr, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
