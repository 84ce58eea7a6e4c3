"""Fixed-length windows drawn at random from labelled segments of a long series, vectorised on the device.

The authors' PAMAP2 loader draws each window on the CPU with NumPy: a subject and an activity uniformly
(redrawing pairs too short for a window), then a uniform start. That makes the classes balanced whatever
their recorded durations, so the same distribution is kept here: a group (e.g. a (subject, activity) pair)
uniformly among those with room for a window, then a start uniformly among all window positions in that
group. Two fixes (reference §7.4): randomness comes from a `torch.Generator` the caller seeds per run
(the authors' NumPy stream repeated across workers and epochs), and a window never straddles two segments
(the authors concatenated an activity's bouts, so a window could span the gap between them).
"""

from __future__ import annotations

import torch
from torch import Tensor

from viewmaker_cli.data.sensor.spectrogram import SpectrogramTransform
from viewmaker_cli.errors import UserError


class WindowSampler:
    """Random windows [B, C, window] of `series` [C, total], each inside one segment, with its segment's label.

    Segment `i` is `series[:, starts[i] : starts[i] + lengths[i]]` with class `labels[i]`. `groups` [S]
    (optional; e.g. subject ids) refines the balancing: windows are spread uniformly over the
    (group, label) pairs that hold at least one window, and uniformly over positions within a pair.
    """

    def __init__(
        self,
        series: Tensor,
        starts: Tensor,
        lengths: Tensor,
        labels: Tensor,
        window: int = 1000,
        device: torch.device | str | None = None,
        groups: Tensor | None = None,
        spectrogram: SpectrogramTransform | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        device = torch.device(device) if device is not None else series.device
        starts, lengths, labels = (torch.as_tensor(t, dtype=torch.int64).cpu() for t in (starts, lengths, labels))
        groups = torch.zeros_like(labels) if groups is None else torch.as_tensor(groups, dtype=torch.int64).cpu()
        positions = (lengths - window + 1).clamp_min(0)  # window starts that fit inside each segment
        usable = positions > 0
        if not usable.any():
            longest = int(lengths.max()) if len(lengths) else 0
            raise UserError(f"no segment holds a {window}-sample window (the longest has {longest}); use a smaller window")
        # Sort the usable segments by (group, label) pair, so each pair's window positions are one range.
        pair_keys = torch.stack([groups, labels], dim=1)[usable]
        pairs, pair_of = torch.unique(pair_keys, dim=0, return_inverse=True)
        order = torch.argsort(pair_of, stable=True)
        segment_ids = torch.nonzero(usable).squeeze(1)[order]
        counts = positions[segment_ids]
        ends = torch.cumsum(counts, 0)
        pair_of = pair_of[order]
        pair_total = torch.zeros(len(pairs), dtype=torch.int64).index_add_(0, pair_of, counts)
        pair_first = torch.cumsum(pair_total, 0) - pair_total

        self.window = window
        self.device = device
        self.num_channels = series.shape[0]
        self.series = series.to(device=device, dtype=torch.float32)
        self.spectrogram = spectrogram
        self.generator = generator
        # Per sorted usable segment: where its positions end in the flat position index, and its start and label.
        self._ends = ends.to(device)
        self._seg_first = (ends - counts).to(device)
        self._seg_start = starts[segment_ids].to(device)
        self._seg_label = labels[segment_ids].to(device)
        self._pair_first = pair_first.to(device)
        self._pair_total = pair_total.to(device)
        self._offsets = torch.arange(window, device=device)
        self.num_pairs = len(pairs)
        self.num_positions = int(ends[-1])

    @property
    def num_segments(self) -> int:
        """Segments that hold a window: the values `segment` of `sample_indexed` takes (0 .. num_segments - 1)."""
        return len(self._seg_label)

    @property
    def segment_labels(self) -> Tensor:
        """The class of each segment `sample_indexed` can name [num_segments], on the device."""
        return self._seg_label

    def positions(self, batch_size: int, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        """Window start indices into `series` [B] and labels [B], drawn on the device."""
        start, label, _ = self._draw(batch_size, generator)
        return start, label

    def _draw(self, batch_size: int, generator: torch.Generator | None) -> tuple[Tensor, Tensor, Tensor]:
        generator = generator if generator is not None else self.generator
        pair = torch.randint(self.num_pairs, (batch_size,), device=self.device, generator=generator)
        # float64 uniforms keep floor(u * total) unbiased for pairs with millions of positions.
        u = torch.rand(batch_size, dtype=torch.float64, device=self.device, generator=generator)
        total = self._pair_total[pair]
        flat = self._pair_first[pair] + torch.minimum((u * total).long(), total - 1)
        segment = torch.searchsorted(self._ends, flat, right=True)
        start = self._seg_start[segment] + (flat - self._seg_first[segment])
        return start, self._seg_label[segment], segment

    def sample(self, batch_size: int, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        """`batch_size` windows x float32 [B, C, window] and their labels y int64 [B], on the device.

        Uses `generator` (on the sampler's device), else the one given at construction, else torch's global RNG.
        """
        x, label, _ = self.sample_indexed(batch_size, generator)
        return x, label

    def sample_indexed(self, batch_size: int, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """As `sample`, plus the segment each window comes from [B] (its index among `num_segments`): the
        example identity an instance objective (a memory bank row) and a label lookup need."""
        start, label, segment = self._draw(batch_size, generator)
        index = start[:, None] + self._offsets  # [B, window]
        return self.series[:, index].permute(1, 0, 2).contiguous(), label, segment

    def spectrograms(self, x: Tensor) -> Tensor:
        """The model-space spectrograms of windows `x` [B, C, window] (log power, z-scored)."""
        if self.spectrogram is None:
            raise ValueError("this sampler yields raw series; it was built without a spectrogram transform")
        return self.spectrogram(x)
