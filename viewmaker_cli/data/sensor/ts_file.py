"""`data=ts_file data.path=DIR/NAME_TRAIN.ts`: any problem of the UEA/UCR time-series classification archives
(timeseriesclassification.com), read from its `.ts` files (ts_format.py) with `NAME_TEST.ts` beside it.

Examples are raw series float32 [N, C, T] for 1-D models (as `basic_motions_raw`), z-scored per channel with
the training split's statistics over its observed values. The rule for what is not observed: a missing value
(`?`) and the end padding of a series shorter than the longest one in either file both become 0 after the
z-score, i.e. the channel's training mean. Labels are the `@classLabel` strings, in the order listed there.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from viewmaker_cli.data.info import DatasetInfo
from viewmaker_cli.data.sensor.ts_format import TsData, read_ts, ts_splits
from viewmaker_cli.data.splits import Splits
from viewmaker_cli.errors import UserError

PADDING = "missing values and end padding (to the longest series) = the channel's training mean (0 after the z-score)"


def matching_test_file(train: Path) -> Path:
    """NAME_TRAIN.ts -> NAME_TEST.ts beside it (the archive's naming; NAME_train.ts -> NAME_test.ts)."""
    stem, suffix = train.name[:-9], train.name[-9:]
    if suffix.upper() != "_TRAIN.TS":
        raise UserError(f"data.path={train}: give the archive's NAME_TRAIN.ts file (NAME_TEST.ts is found beside it)")
    return train.with_name(stem + ("_TEST" if suffix[1:6].isupper() else "_test") + suffix[6:])


def _padded(x: np.ndarray, length: int) -> np.ndarray:
    return np.pad(x, ((0, 0), (0, 0), (0, length - x.shape[2])), constant_values=np.nan)


def _standardised(train: np.ndarray, test: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, np.ndarray, np.ndarray]:
    """Both splits z-scored per channel with the training split's observed values; NaN (missing, padding) -> 0."""
    observed = np.moveaxis(train, 1, 0).reshape(train.shape[1], -1).astype(np.float64)
    mean, std = np.nanmean(observed, axis=1), np.nanstd(observed, axis=1)
    std = np.where(np.isfinite(std) & (std > 1e-8), std, 1.0)  # a constant channel must not divide by zero
    mean = np.nan_to_num(mean)  # a channel with no observed value at all
    shape = (1, -1, 1)
    out = [torch.from_numpy(np.nan_to_num((x - mean.reshape(shape)) / std.reshape(shape), nan=0.0).astype(np.float32))
           for x in (train, test)]
    return out[0], out[1], mean, std


def load_ts_file(path: str | None = None) -> Splits:
    if not path:
        raise UserError("data=ts_file needs data.path=DIR/NAME_TRAIN.ts (a UEA/UCR archive problem)")
    train_path = Path(path).expanduser()
    test_path = matching_test_file(train_path)
    for file in (train_path, test_path):
        if not file.is_file():
            raise UserError(f"data.path={path}: no such file {file} (data=ts_file reads NAME_TRAIN.ts and NAME_TEST.ts beside it)")
    train, test = read_ts(train_path), read_ts(test_path)
    check_pair(train, test, train_path, test_path)
    length = max(train.x.shape[2], test.x.shape[2])
    train_x, test_x, mean, std = _standardised(_padded(train.x, length), _padded(test.x, length))
    lengths = np.concatenate([train.lengths, test.lengths])
    meta = {"problem": train.problem_name, "form": "raw", "normalisation": "train", "padding": PADDING,
            "shortest": int(lengths.min()), "longest": length, "missing_values": train.missing + test.missing,
            "norm_mean": mean.tolist(), "norm_std": std.tolist()}
    return ts_splits("ts_file", train, test, train_x, test_x, str(train_path.resolve()), meta)


def check_pair(train: TsData, test: TsData, train_path: Path, test_path: Path) -> None:
    if train.class_names != test.class_names:
        raise UserError(f"{train_path} and {test_path} list different @classLabel values "
                        f"({' '.join(train.class_names)} vs {' '.join(test.class_names)}); use the archive's pair")
    if train.x.shape[1] != test.x.shape[1]:
        raise UserError(f"{train_path} has {train.x.shape[1]} channels but {test_path} {test.x.shape[1]}; use the archive's pair")


# The datasets this module reads (data/catalog.py lists them by name).
DATASETS = (
    DatasetInfo(
        name="ts_file",
        modality="sensor",
        description="any UEA/UCR archive problem: data.path=DIR/NAME_TRAIN.ts (+ NAME_TEST.ts), raw [C, T] series",
        loader=load_ts_file,
        embedded=True,  # nothing to search for or cache: the files are read as they are
        how_to_get="the archive's NAME_TRAIN.ts and NAME_TEST.ts (timeseriesclassification.com): data=ts_file data.path=FILE",
    ),
)
