"""Reader for the sktime/aeon `.ts` text format of time-series classification problems (UEA/UCR archives).

A file is `#` comment lines, a header of `@tag value` lines ending with `@data`, then one case per line:
the channels separated by `:`, each a comma-separated series, and the class label as the last field
(any string the `@classLabel` line lists). Univariate and multivariate, equal and unequal lengths are read;
`?` (and `NaN`) are missing values, returned as NaN. Unequal lengths (`@equalLength false`): each series is
padded at its end with NaN to the longest series of the file (`lengths` keeps the true ones); the caller
decides what NaN becomes. Timestamped series (`@timeStamps true`) and regression problems are refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from viewmaker_cli.data.splits import Splits
from viewmaker_cli.errors import UserError

_BOOLEAN_TAGS = ("timestamps", "missing", "univariate", "equallength", "targetlabel")
_INTEGER_TAGS = ("dimensions", "dimension", "serieslength")
_MISSING = {"?", "nan"}


@dataclass(frozen=True)
class TsData:
    """The cases of one `.ts` file: series float32 [N, C, T] (NaN: missing or end padding), labels int64 [N]
    indexing `class_names`, `lengths` int64 [N] (each case's longest channel before padding)."""

    x: np.ndarray
    y: np.ndarray
    class_names: list[str]
    problem_name: str
    lengths: np.ndarray | None = None
    missing: int = 0  # values given as `?` or NaN (not the padding)


class _Malformed(Exception):
    """Raised inside the parser; turned into a UserError that names the file and the line."""


def _boolean(tag: str, value: str) -> bool:
    if value.lower() not in ("true", "false"):
        raise _Malformed(f"@{tag} must be true or false, not {value!r}")
    return value.lower() == "true"


def _parse_header(tag: str, value: str, header: dict) -> None:
    key = tag.lower()
    if key in _BOOLEAN_TAGS:
        header[key] = _boolean(tag, value)
    elif key in _INTEGER_TAGS:
        if not value.isdigit() or int(value) == 0:
            raise _Malformed(f"@{tag} must be a positive integer, not {value!r}")
        header["dimensions" if key == "dimension" else key] = int(value)
    elif key == "problemname":
        header[key] = value
    elif key == "classlabel":
        flag, _, labels = value.partition(" ")
        if not _boolean(tag, flag) or not labels.split():
            raise _Malformed("@classLabel must be `true` followed by the class labels; vmk reads only labelled problems")
        header["class_names"] = labels.split()
    # Other tags (e.g. @timeStamps spelled differently by old writers) carry nothing vmk needs.


def _check_header(header: dict) -> None:
    if header.get("timestamps"):
        raise _Malformed("@timeStamps true: timestamped series are not supported; convert them to plain series")
    if header.get("targetlabel"):
        raise _Malformed("@targetLabel true: regression problems are not supported")
    if "class_names" not in header:
        raise _Malformed("@data came before any @classLabel line; add `@classLabel true <labels>`")


def _parse_value(token: str) -> float:
    token = token.strip()
    if token.lower() in _MISSING:
        return float("nan")
    try:
        return float(token)
    except ValueError:
        raise _Malformed(f"{token!r} is not a number") from None


def _parse_case(line: str, header: dict) -> tuple[list[list[float]], str]:
    *channels, label = line.split(":")
    dims = header.get("dimensions") or (1 if header.get("univariate") else None)
    if dims is not None and len(channels) != dims:
        raise _Malformed(f"{len(channels)} channels (':'-separated fields before the label), header says {dims}")
    if not channels:
        raise _Malformed("no series before the label; a case is `v,v,...:v,v,...:label`")
    series = [[_parse_value(token) for token in channel.split(",")] for channel in channels]
    if header.get("equallength") is not False:  # equal lengths (stated or not): every series as long as the first
        length = header.get("serieslength")
        for index, values in enumerate(series):
            if length is not None and len(values) != length:
                raise _Malformed(f"channel {index} has {len(values)} values, expected {length} (@equalLength false if lengths vary)")
            length = len(values)
        header.setdefault("serieslength", length)
    header.setdefault("dimensions", len(channels))
    label = label.strip()
    if label not in header["class_names"]:
        raise _Malformed(f"class label {label!r} is not one of @classLabel's {' '.join(header['class_names'])}")
    return series, label


def read_ts(path: str | Path) -> TsData:
    """Read a `.ts` file; a malformed file raises UserError naming the file and the line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"cannot read {path} as a .ts text file ({error}); check the path") from error
    header: dict = {}
    cases: list[list[list[float]]] = []
    labels: list[str] = []
    in_data = False
    number = 0
    try:
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if in_data:
                series, label = _parse_case(line, header)
                cases.append(series)
                labels.append(label)
            elif line.startswith("@"):
                tag, _, value = line[1:].partition(" ")
                if tag.lower() == "data":
                    _check_header(header)
                    in_data = True
                else:
                    _parse_header(tag, " ".join(value.split()), header)
            else:
                raise _Malformed("a line before @data that is neither a comment (#) nor a header tag (@)")
    except _Malformed as error:
        raise UserError(f"{path}, line {number}: {error}; fix the file or re-fetch it") from None
    if not in_data:
        raise UserError(f"{path}: no @data line, so no cases; is it a .ts file?")
    if not cases:
        raise UserError(f"{path}: no cases after @data; the file is empty or truncated")
    # Missing values come back as NaN whatever @missing says; callers that need finite data check.
    lengths = np.asarray([max(len(values) for values in case) for case in cases], dtype=np.int64)
    x = np.full((len(cases), len(cases[0]), int(lengths.max())), np.nan, dtype=np.float32)
    missing = 0
    for i, case in enumerate(cases):
        for c, values in enumerate(case):
            x[i, c, : len(values)] = values
            missing += int(np.isnan(x[i, c, : len(values)]).sum())
    class_names = header["class_names"]
    y = np.asarray([class_names.index(label) for label in labels], dtype=np.int64)
    return TsData(x=x, y=y, class_names=list(class_names), problem_name=header.get("problemname", path.stem), lengths=lengths, missing=missing)


def ts_splits(name: str, train: TsData, test: TsData, train_x, test_x, source: str, meta: dict) -> Splits:
    """A `.ts` pair as Splits: `train_x`/`test_x` the examples as the loader prepared them, labels and class names
    from the files."""
    return Splits(
        name=name,
        modality="sensor",
        train_x=train_x,
        train_y=torch.from_numpy(train.y),
        test_x=test_x,
        test_y=torch.from_numpy(test.y),
        num_classes=len(train.class_names),
        class_names=list(train.class_names),
        source=source,
        meta={"citation": "UEA/UCR archives, arXiv:1811.00075", **meta},
    )
