"""The .ts reader: the shipped BasicMotions files, hand-written cases, and malformed files named by line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from viewmaker_cli.data.sensor.basic_motions import EMBEDDED_DIR
from viewmaker_cli.data.sensor.ts_format import read_ts
from viewmaker_cli.errors import UserError

SMALL = """# a comment
@problemName Tiny
@timeStamps false
@missing true
@univariate false
@dimensions 2
@equalLength true
@seriesLength 3
@classLabel true up down
@data
1,2,3:4,5,6:down
0.5,?,-1e-3:7,8,9:up

"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "case.ts"
    path.write_text(text)
    return path


@pytest.mark.parametrize("split", ["TRAIN", "TEST"])
def test_shipped_basic_motions(split: str) -> None:
    data = read_ts(EMBEDDED_DIR / f"BasicMotions_{split}.ts")
    assert data.x.shape == (40, 6, 100) and data.x.dtype == np.float32 and np.isfinite(data.x).all()
    assert data.class_names == ["Standing", "Running", "Walking", "Badminton"]
    assert data.y.dtype == np.int64 and np.bincount(data.y).tolist() == [10, 10, 10, 10]
    assert data.problem_name == "BasicMotions"


def test_first_train_case_matches_the_text() -> None:
    data = read_ts(EMBEDDED_DIR / "BasicMotions_TRAIN.ts")
    assert data.x[0, 0, :3] == pytest.approx([0.079106, 0.079106, -0.903497])


def test_small_file_with_missing_values(tmp_path: Path) -> None:
    data = read_ts(write(tmp_path, SMALL))
    assert data.x.shape == (2, 2, 3)
    assert data.y.tolist() == [1, 0] and data.class_names == ["up", "down"]
    assert data.x[0].tolist() == [[1, 2, 3], [4, 5, 6]]
    assert np.isnan(data.x[1, 0, 1]) and data.x[1, 0, 2] == pytest.approx(-1e-3)


def test_header_without_dimensions_takes_them_from_the_first_case(tmp_path: Path) -> None:
    data = read_ts(write(tmp_path, "@classLabel true a b\n@data\n1,2:3,4:a\n5,6:7,8:b\n"))
    assert data.x.shape == (2, 2, 2) and data.problem_name == "case"


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ("1,2,3:4,5,6:down", "1,2,3:down", 11, "1 channels"),
        ("0.5,?,-1e-3", "0.5,x,-1e-3", 12, "'x' is not a number"),
        ("7,8,9:up", "7,8:up", 12, "channel 1 has 2 values"),
        ("7,8,9:up", "7,8,9:sideways", 12, "'sideways' is not one of"),
        ("@dimensions 2", "@dimensions two", 6, "positive integer"),
        ("@timeStamps false", "@timeStamps true", 10, "timestamped"),
        ("@classLabel true up down", "@classLabel false", 9, "@classLabel"),
        ("@problemName Tiny", "problemName Tiny", 2, "neither a comment"),
    ],
)
def test_malformed_file_names_file_and_line(tmp_path: Path, old: str, new: str, line: int, words: str) -> None:
    assert old in SMALL
    path = write(tmp_path, SMALL.replace(old, new))
    with pytest.raises(UserError) as error:
        read_ts(path)
    message = str(error.value)
    assert str(path) in message and f"line {line}:" in message and words in message


@pytest.mark.parametrize(("text", "words"), [("@classLabel true a\n", "no @data"), ("@classLabel true a\n@data\n", "no cases")])
def test_empty_files_are_refused(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(UserError, match=words):
        read_ts(write(tmp_path, text))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="cannot read"):
        read_ts(tmp_path / "absent.ts")


def test_unequal_lengths_are_padded_with_nan_at_the_end(tmp_path: Path) -> None:
    text = SMALL.replace("@equalLength true", "@equalLength false").replace("@seriesLength 3\n", "")
    data = read_ts(write(tmp_path, text.replace("1,2,3:4,5,6:down", "1,2,3,4:4,5:down")))
    assert data.x.shape == (2, 2, 4) and data.lengths.tolist() == [4, 3] and data.missing == 1
    assert data.x[0, 0].tolist() == [1, 2, 3, 4] and data.x[0, 1, :2].tolist() == [4, 5] and np.isnan(data.x[0, 1, 2:]).all()
    assert np.isnan(data.x[1, :, 3]).all()


def test_unequal_lengths_under_equal_length_true_name_the_line(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"line 11: channel 0 has 4 values, expected 3"):
        read_ts(write(tmp_path, SMALL.replace("1,2,3:4,5,6:down", "1,2,3,4:4,5,6:down")))
