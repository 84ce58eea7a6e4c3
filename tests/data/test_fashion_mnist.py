"""Loading full Fashion-MNIST from small fixture files in the real IDX layout, and downloading it."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest
import torch

from viewmaker_cli.data import download
from viewmaker_cli.data import fashion_mnist as fm
from viewmaker_cli.errors import UserError

N_TRAIN, N_TEST = 20, 10
DEBIAN_DIR = fm.DEBIAN_DIR  # the real one, before the fixture below hides it


def write_fixture(directory: Path) -> dict[str, np.ndarray]:
    """Random 28x28 images with labels 0-9, saved as the four Fashion-MNIST .gz files."""
    rng = np.random.default_rng(0)
    arrays = {
        "train_x": rng.integers(1, 256, size=(N_TRAIN, 28, 28), dtype=np.uint8),
        "train_y": np.arange(N_TRAIN, dtype=np.uint8) % 10,
        "test_x": rng.integers(1, 256, size=(N_TEST, 28, 28), dtype=np.uint8),
        "test_y": rng.permutation(N_TEST).astype(np.uint8),
    }
    fm.save_fashion_mnist(directory, *arrays.values())
    return arrays


@pytest.fixture(autouse=True)
def no_machine_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Keep this machine's copies out of sight: an empty $VMK_DATA and no Debian folder."""
    home = tmp_path / "vmk-data"
    monkeypatch.setenv("VMK_DATA", str(home))
    monkeypatch.setattr(fm, "DEBIAN_DIR", tmp_path / "no-debian")
    return home


def test_loads_padded_to_32(tmp_path: Path) -> None:
    arrays = write_fixture(tmp_path / "fm")
    splits = fm.load_fashion_mnist(root=str(tmp_path / "fm"))
    assert splits.train_x.shape == (N_TRAIN, 1, 32, 32) and splits.test_x.shape == (N_TEST, 1, 32, 32)
    assert splits.train_x.dtype == torch.uint8 and splits.train_y.dtype == torch.int64
    assert splits.input_shape == (1, 32, 32) and splits.num_classes == 10
    assert splits.class_names[0] == "T-shirt/top" and splits.class_names[9] == "Ankle boot"
    # Content centred with a 2-pixel zero border (fixture pixels are never 0).
    np.testing.assert_array_equal(splits.train_x[:, 0, 2:30, 2:30].numpy(), arrays["train_x"])
    np.testing.assert_array_equal(splits.test_x[:, 0, 2:30, 2:30].numpy(), arrays["test_x"])
    border = splits.train_x.clone()
    border[:, :, 2:30, 2:30] = 0
    assert int(border.sum()) == 0
    np.testing.assert_array_equal(splits.train_y.numpy(), arrays["train_y"])
    np.testing.assert_array_equal(splits.test_y.numpy(), arrays["test_y"])
    assert splits.source == str((tmp_path / "fm").resolve())


def test_unpadded_and_uncompressed(tmp_path: Path) -> None:
    arrays = write_fixture(tmp_path)
    for name in fm.FILES:  # users often gunzip the files
        path = tmp_path / name
        path.with_suffix("").write_bytes(gzip.decompress(path.read_bytes()))
        path.unlink()
    splits = fm.load_fashion_mnist(root=str(tmp_path), pad_to=None)
    assert splits.train_x.shape == (N_TRAIN, 1, 28, 28)
    np.testing.assert_array_equal(splits.train_x[:, 0].numpy(), arrays["train_x"])


def test_torchvision_layout(tmp_path: Path) -> None:
    write_fixture(tmp_path / "FashionMNIST" / "raw")
    assert fm.load_fashion_mnist(root=str(tmp_path)).train_x.shape == (N_TRAIN, 1, 32, 32)


def test_found_in_vmk_data_without_root(no_machine_data: Path) -> None:
    write_fixture(no_machine_data / "fashion-mnist")
    splits = fm.load_fashion_mnist()
    assert splits.source == str((no_machine_data / "fashion-mnist").resolve())


def test_pad_smaller_than_images_is_a_user_error(tmp_path: Path) -> None:
    write_fixture(tmp_path)
    with pytest.raises(UserError, match="pad_to=20"):
        fm.load_fashion_mnist(root=str(tmp_path), pad_to=20)


def test_missing_lists_every_path_and_the_fixes(tmp_path: Path, no_machine_data: Path) -> None:
    with pytest.raises(UserError) as caught:
        fm.load_fashion_mnist()
    message = str(caught.value)
    assert "\n" not in message and "Fashion-MNIST" in message
    for directory in fm.search_dirs():
        assert str(directory) in message
    assert str(no_machine_data / "fashion-mnist") in message and str(tmp_path / "no-debian") in message
    for fix in ("data.root=", "data.download=true", "apt-get install dataset-fashion-mnist"):
        assert fix in message


def test_incomplete_folder_is_not_found(tmp_path: Path) -> None:
    write_fixture(tmp_path)
    (tmp_path / fm.FILES[3]).unlink()
    with pytest.raises(UserError, match=str(tmp_path)):
        fm.load_fashion_mnist(root=str(tmp_path))


def fake_fetch(source: Path, calls: list[str]):
    """A stand-in for the network: `url` → the fixture file of the same name."""

    def fetch(url: str, dest: Path) -> None:
        calls.append(url)
        dest.write_bytes((source / url.rsplit("/", 1)[1]).read_bytes())

    return fetch


def test_download_with_wrong_checksum_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_machine_data: Path
) -> None:
    write_fixture(tmp_path / "server")
    calls: list[str] = []
    monkeypatch.setattr(download, "fetch", fake_fetch(tmp_path / "server", calls))
    with pytest.raises(UserError, match="MD5"):
        fm.load_fashion_mnist(download=True)
    assert calls == [fm.URL + fm.FILES[0]]
    assert list((no_machine_data / "fashion-mnist").iterdir()) == []


def test_failed_fetch_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(url: str, dest: Path) -> None:
        dest.write_bytes(b"half a file")
        raise ConnectionResetError("connection reset by peer")

    monkeypatch.setattr(download, "fetch", broken)
    with pytest.raises(UserError, match="cannot download .*train-images"):
        fm.load_fashion_mnist(root=str(tmp_path / "dl"), download=True)
    assert list((tmp_path / "dl").iterdir()) == []


def test_download_with_good_checksum_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    arrays = write_fixture(tmp_path / "server")
    digests = {name: hashlib.md5((tmp_path / "server" / name).read_bytes()).hexdigest() for name in fm.FILES}
    monkeypatch.setattr(fm, "GZ_MD5", digests)
    calls: list[str] = []
    monkeypatch.setattr(download, "fetch", fake_fetch(tmp_path / "server", calls))
    splits = fm.load_fashion_mnist(root=str(tmp_path / "dl"), download=True)
    assert calls == [fm.URL + name for name in fm.FILES]
    assert sorted(p.name for p in (tmp_path / "dl").iterdir()) == sorted(fm.FILES)
    np.testing.assert_array_equal(splits.test_y.numpy(), arrays["test_y"])
    # Present now: a second call reads the files and fetches nothing.
    fm.load_fashion_mnist(root=str(tmp_path / "dl"), download=True)
    assert len(calls) == len(fm.FILES)


@pytest.mark.skipif(not DEBIAN_DIR.is_dir(), reason="dataset-fashion-mnist is not installed")
def test_debian_files_are_the_original_data() -> None:
    # Debian recompressed the .gz files, so their contents, not their bytes, match the originals.
    for name in fm.FILES:
        assert hashlib.md5(gzip.decompress((DEBIAN_DIR / name).read_bytes())).hexdigest() == fm.RAW_MD5[name]
