"""CIFAR-10/100 from fixture pickle batches written in the original (Python 2, protocol 2) format."""

from __future__ import annotations

import dataclasses
import io
import os
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.data.images.cifar_files import CifarWriter, cifar_images, py2_pickle
from viewmaker_cli.data.images import cifar
from viewmaker_cli.errors import UserError


def test_cifar10_round_trip(tmp_path: Path, write_cifar10: CifarWriter) -> None:
    arrays = write_cifar10(tmp_path)
    splits = cifar.load_cifar10(root=str(tmp_path / "cifar-10-batches-py"))
    assert splits.train_x.shape == (15, 3, 32, 32) and splits.test_x.shape == (4, 3, 32, 32)
    assert splits.train_x.dtype == torch.uint8 and splits.train_y.dtype == torch.int64
    # Batches in order 1..5; each row is the R plane, then G, then B, each row-major.
    np.testing.assert_array_equal(splits.train_y.numpy(), arrays["train_y"])
    np.testing.assert_array_equal(splits.test_y.numpy(), arrays["test_y"])
    rows = arrays["train_x"]
    assert splits.train_x[7, 0, 0, 1] == rows[7, 1]
    assert splits.train_x[7, 1, 2, 5] == rows[7, 1024 + 2 * 32 + 5]
    assert splits.train_x[7, 2, 31, 31] == rows[7, 3071]
    assert splits.class_names[0] == "airplane" and splits.num_classes == 10
    assert splits.source == str((tmp_path / "cifar-10-batches-py").resolve())


def test_torchvision_root_and_vmk_data(tmp_path: Path, write_cifar10: CifarWriter, vmk_data: Path) -> None:
    write_cifar10(tmp_path / "tv")  # torchvision's root holds cifar-10-batches-py/
    assert cifar.load_cifar10(root=str(tmp_path / "tv")).train_x.shape[0] == 15
    write_cifar10(vmk_data / "cifar10")
    assert cifar.locate(cifar.CIFAR10, None) == vmk_data / "cifar10" / "cifar-10-batches-py"


def test_pad_to(tmp_path: Path, write_cifar10: CifarWriter) -> None:
    arrays = write_cifar10(tmp_path)
    assert cifar.load_cifar10(root=str(tmp_path), pad_to=32).train_x.shape == (15, 3, 32, 32)
    padded = cifar.load_cifar10(root=str(tmp_path), pad_to=36).test_x
    assert padded.shape == (4, 3, 36, 36) and int(padded[:, :, :2].sum()) == 0
    np.testing.assert_array_equal(padded[:, :, 2:34, 2:34].numpy(), arrays["test_x"].reshape(4, 3, 32, 32))


def test_cifar100_fine_labels(tmp_path: Path) -> None:
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    x = cifar_images(6, seed=1)
    fine, coarse = [99, 0, 42, 7, 63, 5], [19, 0, 8, 1, 12, 2]
    py2_pickle({b"data": x, b"fine_labels": fine, b"coarse_labels": coarse}, folder / "train")
    py2_pickle({b"data": x[:2], b"fine_labels": fine[:2], b"coarse_labels": coarse[:2]}, folder / "test")
    names = [f"class{i:02d}" for i in range(100)]
    py2_pickle({b"fine_label_names": names, b"coarse_label_names": ["c"] * 20}, folder / "meta")
    splits = cifar.load_cifar100(root=str(tmp_path))
    assert splits.num_classes == 100 and splits.class_names[42] == "class42"
    assert splits.train_y.tolist() == fine and splits.test_y.tolist() == fine[:2]


def test_missing_lists_every_path(tmp_path: Path, vmk_data: Path) -> None:
    with pytest.raises(UserError) as caught:
        cifar.load_cifar10(root=str(tmp_path / "nowhere"))
    message = str(caught.value)
    for path in (tmp_path / "nowhere", tmp_path / "nowhere" / "cifar-10-batches-py", tmp_path / "nowhere" / "cifar10"):
        assert str(path) in message
    assert "CIFAR-10 not found" in message and "data.root=" in message and cifar.CIFAR10.url in message
    with pytest.raises(UserError, match=str(vmk_data / "cifar100")):
        cifar.load_cifar100()


class Payload:
    """Unpickling this runs `touch marker` through os.system."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("style", ["python2", "protocol4"])
def test_malicious_pickle_is_refused(tmp_path: Path, write_cifar10: CifarWriter, style: str) -> None:
    write_cifar10(tmp_path)
    marker = tmp_path / "pwned"
    batch = tmp_path / "cifar-10-batches-py" / "data_batch_3"
    evil = {b"data": Payload(marker), b"labels": [0]}
    if style == "python2":
        py2_pickle(evil, batch)
    else:
        batch.write_bytes(pickle.dumps(evil, protocol=4))
    with pytest.raises(UserError, match=f"{batch}.*system.*refused"):
        cifar.load_cifar10(root=str(tmp_path))
    assert not marker.exists()
    pickle.loads(batch.read_bytes())  # sanity: an ordinary unpickler does run it
    assert marker.exists()


def test_truncated_batch(tmp_path: Path, write_cifar10: CifarWriter) -> None:
    write_cifar10(tmp_path)
    batch = tmp_path / "cifar-10-batches-py" / "test_batch"
    batch.write_bytes(batch.read_bytes()[:5000])
    with pytest.raises(UserError, match=f"{batch}.*truncated or corrupt"):
        cifar.load_cifar10(root=str(tmp_path))


def test_not_a_batch(tmp_path: Path, write_cifar10: CifarWriter) -> None:
    write_cifar10(tmp_path)
    batch = tmp_path / "cifar-10-batches-py" / "data_batch_1"
    py2_pickle({b"data": np.zeros((2, 10), np.uint8), b"labels": [0, 1]}, batch)
    with pytest.raises(UserError, match=f"{batch} holds no uint8"):
        cifar.load_cifar10(root=str(tmp_path))


def _tarball(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _serve(monkeypatch: pytest.MonkeyPatch, body: bytes, calls: list[str]) -> None:
    """Point CIFAR-10's download at `body`, with `body`'s MD5 as the official one."""
    import hashlib

    from viewmaker_cli.data import download

    def fetch(url: str, dest: Path) -> None:
        calls.append(url)
        dest.write_bytes(body)

    monkeypatch.setattr(download, "fetch", fetch)
    official = dataclasses.replace(cifar.CIFAR10, md5=hashlib.md5(body).hexdigest())
    monkeypatch.setattr(cifar, "CIFAR10", official)


def test_download_extracts_and_loads(
    tmp_path: Path, write_cifar10: CifarWriter, monkeypatch: pytest.MonkeyPatch, vmk_data: Path
) -> None:
    arrays = write_cifar10(tmp_path / "server")
    folder = tmp_path / "server" / "cifar-10-batches-py"
    body = _tarball({f"cifar-10-batches-py/{p.name}": p.read_bytes() for p in folder.iterdir()})
    calls: list[str] = []
    _serve(monkeypatch, body, calls)
    splits = cifar.load_cifar10(download=True)
    assert calls == [cifar.CIFAR10.url]
    np.testing.assert_array_equal(splits.train_y.numpy(), arrays["train_y"])
    # Only the extracted folder is left: no tarball, no staging folder.
    assert sorted(p.name for p in (vmk_data / "cifar10").iterdir()) == ["cifar-10-batches-py"]
    cifar.load_cifar10(download=True)
    assert len(calls) == 1  # present now: nothing fetched again


@pytest.mark.parametrize("evil", ["../escaped", "cifar-10-batches-py/../../escaped", "/tmp/escaped-vmk-test"])
def test_download_refuses_path_traversal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, evil: str) -> None:
    _serve(monkeypatch, _tarball({"cifar-10-batches-py/test_batch": b"x", evil: b"owned"}), [])
    with pytest.raises(UserError, match="unexpected entry"):
        cifar.load_cifar10(root=str(tmp_path / "dl"), download=True)
    assert not (tmp_path / "escaped").exists() and not Path("/tmp/escaped-vmk-test").exists()
    assert not (tmp_path / "dl" / "cifar-10-batches-py").exists()


def test_download_with_wrong_checksum_saves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _serve(monkeypatch, b"not the archive", [])
    monkeypatch.setattr(cifar, "CIFAR10", dataclasses.replace(cifar.CIFAR10, md5="0" * 32))
    with pytest.raises(UserError, match="MD5"):
        cifar.load_cifar10(root=str(tmp_path / "dl"), download=True)
    assert list((tmp_path / "dl").iterdir()) == []
