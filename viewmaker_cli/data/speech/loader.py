"""The signature every speech loader shares, written once: `(root=None, download=False, <the dataset's own
options>, clip_samples, n_mels, crop_side, waveform, seed)`. The last five say how clips are prepared, the
same for every dataset; they arrive in the loader's body as one `ClipOptions`."""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass

from viewmaker_cli.data.speech.frontend import CLIP_SAMPLES
from viewmaker_cli.data.splits import Splits


@dataclass(frozen=True)
class ClipOptions:
    """How every clip becomes a model input (data.options of any speech dataset)."""

    clip_samples: int = CLIP_SAMPLES  # clips cropped or zero-padded to this many samples
    n_mels: int = 64  # mel bands, and frames: inputs are [1, n_mels, n_mels]
    crop_side: str = "head"  # training crop of long clips: head, tail, or random (drawn with `seed`)
    waveform: bool = False  # keep the fixed-length waveforms; the log-mel front end then runs on the device
    seed: int = 0


CLIP_OPTIONS = tuple(field.name for field in dataclasses.fields(ClipOptions))


def speech_loader(read: Callable[..., Splits]) -> Callable[..., Splits]:
    """`read(root, download, clips: ClipOptions, **own)` as a loader `(root=None, download=False, **own,
    **ClipOptions' fields)`. The loader's signature lists every option, so `vmk` can name a data.options key
    the dataset does not take."""
    own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in list(inspect.signature(read).parameters.values())[3:]]
    shared = [
        inspect.Parameter(field.name, inspect.Parameter.KEYWORD_ONLY, default=field.default, annotation=field.type)
        for field in dataclasses.fields(ClipOptions)
    ]
    where = [
        inspect.Parameter("root", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None, annotation="str | None"),
        inspect.Parameter("download", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=False, annotation="bool"),
    ]

    @functools.wraps(read)
    def load(root: str | None = None, download: bool = False, **options) -> Splits:
        clips = ClipOptions(**{name: options.pop(name) for name in CLIP_OPTIONS if name in options})
        return read(root, download, clips, **options)

    load.__signature__ = inspect.Signature([*where, *own, *shared], return_annotation="Splits")
    return load
