"""Batches as index tensors: the data stays on the device, the loader only says which rows to gather."""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader, IterableDataset


class IndexBatches(IterableDataset):
    """Each epoch, a fresh permutation of range(n) cut into `batch_size` slices (the last partial
    one dropped, as the authors' drop_last). The permutation depends only on (seed, epoch), so an
    epoch's data order is reproducible."""

    def __init__(self, n: int, batch_size: int, seed: int):
        if batch_size > n:
            raise ValueError(f"batch size {batch_size} is larger than the dataset ({n} examples)")
        self.n, self.batch_size, self.seed = n, batch_size, seed
        self.epoch = 0

    def __len__(self) -> int:
        return self.n // self.batch_size

    def __iter__(self):
        generator = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        self.epoch += 1
        order = torch.randperm(self.n, generator=generator)
        for i in range(len(self)):
            yield order[i * self.batch_size : (i + 1) * self.batch_size]


def index_loader(n: int, batch_size: int, seed: int) -> DataLoader:
    # batch_size=None: the dataset already yields whole batches; no workers, no per-item collation.
    return DataLoader(IndexBatches(n, batch_size, seed), batch_size=None, num_workers=0)
