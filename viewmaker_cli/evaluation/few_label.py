"""Few labels: the probe trains on a seeded, stratified fraction of each class's training examples."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from viewmaker_cli.errors import UserError


def check_fraction(fraction: float) -> None:
    if not 0 < fraction <= 1:
        raise UserError(f"probe.label_fraction must be in (0, 1], got {fraction}")


def stratified_subset(labels: Tensor, fraction: float, seed: int) -> Tensor:
    """Sorted indices of round(fraction x n_c) examples (at least one) of every class c present, drawn
    without replacement by a generator seeded with `seed`; all indices when fraction is 1."""
    check_fraction(fraction)
    labels = labels.cpu()
    if fraction == 1:
        return torch.arange(len(labels))
    generator = torch.Generator().manual_seed(seed)
    chosen = []
    for c in torch.unique(labels).tolist():  # sorted, so the draw order is fixed
        members = (labels == c).nonzero().flatten()
        take = max(1, math.floor(fraction * len(members) + 0.5))
        chosen.append(members[torch.randperm(len(members), generator=generator)[:take]])
    return torch.cat(chosen).sort().values
