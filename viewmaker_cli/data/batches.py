"""What step k of a run trains on: batch k as a pure function of (seed, k), made on the training device.

- `DataOrder`: which stored examples batch k holds (a fresh permutation each epoch, fixed by the seed).
- `StoredBatches`: the iterable Lightning is handed for prepared data; batch k is an index gather of those
  examples on the device, in model space (data/splits.py), with their dataset indices.
- `WindowBatches`: the same for window datasets (PAMAP2, BasicMotions): fresh windows drawn on the device
  with a generator seeded by (seed, k), turned into the dataset's spectrograms; a window's index is the
  series (segment) it was cut from, so instance objectives (InstDisc's memory bank) and labels work.

Both yield `(x, index)` and continue from the step they are started at, so a resumed run sees exactly the
batches an uninterrupted one would. `batch_size` is the global batch: under DDP every rank makes the same
global batch and keeps its rows of it (core/dist.py). They never draw from torch's global random stream
(the viewmaker's noise does, and a resumed run restores that stream from its checkpoint).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch
from torch import Tensor

from viewmaker_cli.core import dist
from viewmaker_cli.data.splits import model_space

Batch = tuple[Tensor, Tensor | None]


def epoch_permutation(n: int, seed: int, epoch: int) -> torch.Tensor:
    """The order of epoch `epoch`: a fresh permutation of range(n), fixed by (seed, epoch)."""
    generator = torch.Generator().manual_seed(seed * 100_003 + epoch)
    return torch.randperm(n, generator=generator)


class DataOrder:
    """Indices of batch `step` of a run: epoch = step // batches_per_epoch, the last partial batch of each
    epoch dropped (as the authors' drop_last)."""

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


class TrainBatches:
    """Batches `step`, `step + 1`, … for Lightning to iterate: one pass of `iter()` is the rest of the current
    epoch (Lightning starts one per epoch), and `len()` is the batches per epoch (its progress bar and epoch
    count). Subclasses say what `batch(k)` is."""

    indexed = True  # whether batches carry dataset indices (a memory bank needs them)

    def index_labels(self, train_y: Tensor | None) -> Tensor | None:
        """The class of each index a batch can carry (its length: how many indices there are), given the
        stored training labels: those labels themselves for stored examples."""
        return train_y

    def __init__(self, batch_size: int, seed: int, batches_per_epoch: int):
        self.batch_size, self.seed, self.batches_per_epoch = batch_size, seed, batches_per_epoch
        self.step = 0  # the next batch to hand out

    def batch(self, step: int) -> Batch:
        """Inputs of batch `step` in model space and their dataset indices (None without); this rank's rows."""
        raise NotImplementedError

    def to(self, device: torch.device | str) -> TrainBatches:
        """Make the batches on `device` from now on."""
        raise NotImplementedError

    def start_at(self, step: int) -> TrainBatches:
        """Continue from batch `step`: a resumed run starts at its checkpoint's global step."""
        self.step = step
        return self

    def __len__(self) -> int:
        return self.batches_per_epoch

    def __iter__(self) -> Iterator[Batch]:
        epoch_end = (self.step // self.batches_per_epoch + 1) * self.batches_per_epoch
        while self.step < epoch_end:
            batch = self.batch(self.step)
            self.step += 1  # counted as handed out: Lightning trains on every batch it takes
            yield batch


class StoredBatches(TrainBatches):
    """Batches of the prepared training examples `stored` [N, ...] in `DataOrder`: an index gather on the
    device of `stored` (move it there once with `to`), uint8 images scaled to [0, 1]."""

    def __init__(self, stored: Tensor, batch_size: int, seed: int):
        self.order = DataOrder(stored.shape[0], batch_size, seed)
        super().__init__(batch_size, seed, self.order.batches_per_epoch)
        self.stored = stored

    def to(self, device: torch.device | str) -> StoredBatches:
        """Keep the examples on `device`: every batch is then made there, with no copy from the host."""
        self.stored = self.stored.to(device)
        return self

    def batch(self, step: int) -> Batch:
        index = self.order.indices(step, self.stored.device)[dist.local_rows(self.batch_size)]
        return model_space(self.stored[index]), index


class WindowBatches(TrainBatches):
    """Fresh random windows for every batch, from a window dataset's sampler (data/sensor/windows.py) on the
    device: drawn for the global batch with a generator seeded by (seed, step), then as the dataset's
    spectrograms when its sampler has that transform (raw series otherwise). `windows_per_epoch` sets the
    length of an epoch. `sampler_factory(device=...)` builds the sampler, on first use."""

    def __init__(self, sampler_factory: Callable[..., object], batch_size: int, seed: int, windows_per_epoch: int):
        super().__init__(batch_size, seed, max(1, windows_per_epoch // batch_size))
        self.sampler_factory = sampler_factory
        self.device, self.sampler = torch.device("cpu"), None

    def to(self, device: torch.device | str) -> WindowBatches:
        """Draw the windows on `device` (the sampler holds the whole recording there)."""
        if torch.device(device) != self.device:
            self.device, self.sampler = torch.device(device), None
        return self

    def batch(self, step: int) -> Batch:
        if self.sampler is None:
            self.sampler = self.sampler_factory(device=self.device)
        generator = torch.Generator(device=self.device).manual_seed(self.seed * 1_000_003 + step)
        x, _, segment = self.sampler.sample_indexed(self.batch_size, generator)
        rows = dist.local_rows(self.batch_size)
        x, segment = x[rows], segment[rows]
        if getattr(self.sampler, "spectrogram", None) is not None:
            x = self.sampler.spectrograms(x)
        return x, segment

    def index_labels(self, train_y: Tensor | None) -> Tensor:
        """The class of each series a window can come from (the sampler's segments), whatever the stored
        split holds (PAMAP2 stores a pool of windows, not its segments)."""
        if self.sampler is None:
            self.sampler = self.sampler_factory(device=self.device)
        return self.sampler.segment_labels.cpu()
