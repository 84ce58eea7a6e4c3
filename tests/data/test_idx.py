"""IDX reading and writing: round trips, and corrupt files named in one-line errors."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from viewmaker_cli.data.idx import read_idx, write_idx
from viewmaker_cli.errors import UserError


@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
def test_round_trip_images_and_labels(tmp_path: Path, name: str) -> None:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(7, 5, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, size=7, dtype=np.uint8)
    write_idx(tmp_path / name, images)
    write_idx(tmp_path / f"labels-{name}", labels)
    np.testing.assert_array_equal(read_idx(tmp_path / name), images)
    np.testing.assert_array_equal(read_idx(tmp_path / f"labels-{name}"), labels)
    assert read_idx(tmp_path / name).dtype == np.uint8


def test_gz_is_compressed_and_reproducible(tmp_path: Path) -> None:
    images = np.zeros((10, 28, 28), dtype=np.uint8)
    write_idx(tmp_path / "a.gz", images)
    write_idx(tmp_path / "b.gz", images)
    assert gzip.decompress((tmp_path / "a.gz").read_bytes())[:4] == bytes([0, 0, 8, 3])
    assert (tmp_path / "a.gz").read_bytes() == (tmp_path / "b.gz").read_bytes()


def test_big_endian_types_are_read_in_native_order(tmp_path: Path) -> None:
    path = tmp_path / "ints-idx1"
    path.write_bytes(bytes([0, 0, 0x0C, 1]) + struct.pack(">I", 3) + struct.pack(">3i", -1, 2, 70000))
    values = read_idx(path)
    assert values.dtype == np.int32 and values.dtype.isnative
    assert values.tolist() == [-1, 2, 70000]


@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
def test_truncated_file_names_the_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    write_idx(path, np.ones((4, 28, 28), dtype=np.uint8))
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(UserError, match=str(path)):
        read_idx(path)


def test_extra_bytes_are_an_error(tmp_path: Path) -> None:
    path = tmp_path / "labels-idx1-ubyte"
    write_idx(path, np.ones(4, dtype=np.uint8))
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(UserError, match="more bytes"):
        read_idx(path)


def test_wrong_magic_number_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "not-idx.gz"
    path.write_bytes(gzip.compress(b"\x89PNG\r\n\x1a\n" + bytes(100)))
    with pytest.raises(UserError, match=f"{path}.*magic"):
        read_idx(path)


def test_header_claiming_more_than_the_file_holds_fails_fast(tmp_path: Path) -> None:
    path = tmp_path / "huge-idx3-ubyte"
    path.write_bytes(bytes([0, 0, 8, 3]) + struct.pack(">3I", 2**31, 2**31, 2**31))
    with pytest.raises(UserError, match=str(path)):
        read_idx(path)


def test_not_gzip_and_missing_files(tmp_path: Path) -> None:
    fake = tmp_path / "plain.gz"
    fake.write_bytes(b"not gzip at all")
    with pytest.raises(UserError, match=f"{fake}.*corrupt"):
        read_idx(fake)
    with pytest.raises(UserError, match="does not exist"):
        read_idx(tmp_path / "missing.gz")
