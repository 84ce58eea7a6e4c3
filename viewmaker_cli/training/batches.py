"""Data order as a pure function of (seed, global step): the data stays on the device, a batch is an
index gather, and a resumed run sees exactly the batches an uninterrupted one would have seen."""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader


def epoch_permutation(n: int, seed: int, epoch: int) -> torch.Tensor:
    """The order of epoch `epoch`: a fresh permutation of range(n), fixed by (seed, epoch)."""
    generator = torch.Generator().manual_seed(seed * 100_003 + epoch)
    return torch.randperm(n, generator=generator)


class DataOrder:
    """Indices of batch `step` of a run: epoch = step // batches_per_epoch, the last partial batch of each
    epoch dropped (as the authors' drop_last). `batch_size` is the global batch: under DDP every rank
    computes the same indices and trains on its rows of them (core/dist.py)."""

    def __init__(self, n: int, batch_size: int, seed: int):
        if batch_size > n:
            raise ValueError(f"batch size {batch_size} is larger than the dataset ({n} examples)")
        self.n, self.batch_size, self.seed = n, batch_size, seed
        self.batches_per_epoch = n // batch_size
        self._epoch, self._order = -1, None

    def indices(self, step: int, device: torch.device | str = "cpu") -> torch.Tensor:
        epoch, position = divmod(step, self.batches_per_epoch)
        if epoch != self._epoch or self._order.device != torch.device(device):
            self._epoch, self._order = epoch, epoch_permutation(self.n, self.seed, epoch).to(device)
        return self._order[position * self.batch_size : (position + 1) * self.batch_size]


def step_loader(batches_per_epoch: int) -> DataLoader:
    """What Lightning iterates: one item per batch of an epoch (the module turns the global step into
    indices). No workers, no per-item collation. Its own generator: a DataLoader iterator draws a seed
    when created, which must not come from the global stream the viewmaker's noise uses (a resumed
    run creates its iterator after the RNG states are restored)."""
    return DataLoader(range(batches_per_epoch), batch_size=None, num_workers=0, generator=torch.Generator())
