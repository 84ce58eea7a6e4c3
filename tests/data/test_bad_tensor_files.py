"""`data=tensor_file`: every malformed file, in each real format (.npy, .npz, .pt), is refused by the loader
with one line that says what is wrong; a sample of them through `vmk pretrain` (in this process) stops before
training with exit code 2, that line, and nothing written but `.hydra/`."""

from __future__ import annotations

import io
import os
import zipfile

import numpy as np
import pytest
import torch

from tests.one_line import assert_one_line_error

TINY = ["data=tensor_file", "model.width=4", "views.width=4", "views.num_res_blocks=1", "data.batch_size=4",
        "trainer.max_steps=1", "probe.epochs=1", "probe.also=[]", "probe.baseline=false", "trainer.image_every_n_steps=0"]
RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 255, (20, 1, 8, 8), dtype=np.uint8)
LABELS = np.arange(20) % 4


class Evil:  # a pickle that would run a command if it were unpickled without weights_only
    def __reduce__(self):
        return (os.system, ("touch PWNED",))


def promising_header(shape) -> bytes:
    """A valid .npy header that promises `shape` float32, followed by a few bytes of data."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": "<f4", "fortran_order": False, "shape": shape})
    return buffer.getvalue() + b"\0" * 64


def half(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def zipped(path, name, data: bytes):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(name, data)


# name -> (file name, writer(path), modality, words the error must contain)
CASES = {
    "one example": ("d.npy", lambda p: np.save(p, IMAGES[:1]), "image", "at least 2"),
    "no examples": ("d.npz", lambda p: np.savez(p, x=IMAGES[:0], y=LABELS[:0]), "image", "at least 2"),
    "empty x_test": ("d.npz", lambda p: np.savez(p, x=IMAGES, x_test=IMAGES[:0]), "image", "both need some"),
    "complex": ("d.npy", lambda p: np.save(p, IMAGES.astype(np.complex64)), "image", "complex"),
    "strings": ("d.npy", lambda p: np.save(p, np.full((20, 1, 8), "a")), "sensor", "strings"),
    "records": ("d.npy", lambda p: np.save(p, np.zeros((20, 1, 8), dtype=[("a", "<i4")])), "sensor", "records"),
    "dates": ("d.npy", lambda p: np.save(p, np.zeros((20, 1, 8), dtype="datetime64[s]")), "sensor", "dates"),
    "booleans": ("d.npy", lambda p: np.save(p, IMAGES > 9), "image", "booleans"),
    "objects in npz": ("d.npz", lambda p: np.savez(p, x=np.array([1, "a", None], dtype=object)), "image", "Python objects"),
    "image floats outside [0,1]": ("d.npy", lambda p: np.save(p, IMAGES.astype(np.float32)), "image", "floats in [0,1]"),
    "NaN": ("d.npy", lambda p: np.save(p, np.where(IMAGES > 200, np.nan, 0.5).astype(np.float32)), "image", "NaN or Inf"),
    "Inf in x_test": ("d.npz", lambda p: np.savez(p, x=np.ones((20, 2, 16), np.float32), x_test=np.full((4, 2, 16), np.inf, np.float32)), "sensor", "'x_test' holds"),
    "negative labels": ("d.npz", lambda p: np.savez(p, x=IMAGES, y=LABELS - 1), "image", "negative labels"),
    "huge labels": ("d.npz", lambda p: np.savez(p, x=IMAGES, y=LABELS * 10**12), "image", "number the classes 0..K-1"),
    "fractional labels": ("d.npz", lambda p: np.savez(p, x=IMAGES, y=LABELS / 3), "image", "not whole numbers"),
    "NaN labels": ("d.npz", lambda p: np.savez(p, x=IMAGES, y=np.full(20, np.nan)), "image", "not whole numbers"),
    "uint64 labels past int64": ("d.npz", lambda p: np.savez(p, x=IMAGES, y=np.full(20, 2**64 - 1, np.uint64)), "image", "too large"),
    "fewer labels than examples": ("d.npz", lambda p: np.savez(p, x=IMAGES, y=LABELS[:19]), "image", "expected [20]"),
    "labels of two dims": ("d.npz", lambda p: np.savez(p, x=IMAGES, y=np.zeros((20, 2))), "image", "expected [20]"),
    "y_test of the wrong length": ("d.npz", lambda p: np.savez(p, x=IMAGES, y=LABELS, x_test=IMAGES[:5], y_test=LABELS[:4]), "image", "'y_test' has shape"),
    "x_test of another shape": ("d.npz", lambda p: np.savez(p, x=IMAGES, x_test=IMAGES[:5, :, :4]), "image", "use matching files"),
    "two dims": ("d.npy", lambda p: np.save(p, np.zeros((20, 8), np.float32)), "sensor", "expected [N, C, H, W]"),
    "five dims": ("d.npy", lambda p: np.save(p, np.zeros((20, 1, 2, 8, 8), np.uint8)), "image", "expected [N, C, H, W]"),
    "a scalar": ("d.npy", lambda p: np.save(p, np.float32(3)), "sensor", "expected [N, C, H, W]"),
    "zero channels": ("d.npy", lambda p: np.save(p, np.zeros((20, 0, 8, 8), np.uint8)), "image", "at least one channel"),
    "no x": ("d.npz", lambda p: np.savez(p, X=IMAGES), "image", "no 'x' array (found: X)"),
    "empty npz": ("d.npz", lambda p: np.savez(p), "image", "found: nothing"),
    "empty file": ("d.npy", lambda p: p.write_bytes(b""), "image", "is empty"),
    "truncated npy": ("d.npy", lambda p: (np.save(p, IMAGES), half(p)), "image", "truncated"),
    "npy header promising 10**12 examples": ("d.npy", lambda p: p.write_bytes(promising_header((10**12, 3, 32, 32))), "image", "truncated"),
    "npz member promising 10**12 examples": ("d.npz", lambda p: zipped(p, "x.npy", promising_header((10**12, 3, 32, 32))), "image", "truncated"),
    "damaged npy header": ("d.npy", lambda p: p.write_bytes(b"\x93NUMPY\x01\x00\x10\x00{'descr': <<<}  \n"), "image", "damaged .npy header"),
    "truncated npz": ("d.npz", lambda p: (np.savez(p, x=IMAGES), half(p)), "image", "not a readable .npz"),
    "garbage npz": ("d.npz", lambda p: p.write_bytes(RNG.bytes(2000)), "image", "not a readable .npz"),
    "truncated pt": ("d.pt", lambda p: (torch.save({"x": torch.from_numpy(IMAGES)}, p), half(p)), "image", "not a readable .pt"),
    "garbage pt": ("d.pt", lambda p: p.write_bytes(RNG.bytes(2000)), "image", "not a readable .pt"),
    "pickled object in pt": ("d.pt", lambda p: torch.save({"x": Evil()}, p), "image", "refused to load"),
    "list in pt": ("d.pt", lambda p: torch.save([1, 2, 3], p), "image", "holds a list"),
    "None in pt": ("d.pt", lambda p: torch.save(None, p), "image", "holds a NoneType"),
    "ragged list in pt": ("d.pt", lambda p: torch.save({"x": [[1, 2], [3]]}, p), "image", "not one regular array"),
    "dict in place of x": ("d.pt", lambda p: torch.save({"x": {"a": torch.zeros(3)}}, p), "image", "Python objects"),
    "complex tensor": ("d.pt", lambda p: torch.save({"x": torch.zeros(20, 1, 8, dtype=torch.complex64)}, p), "sensor", "complex64"),
    "sparse tensor": ("d.pt", lambda p: torch.save({"x": torch.eye(20).reshape(20, 1, 20).to_sparse()}, p), "sensor", "dense"),
    "a directory": ("dir", lambda p: p.mkdir(), "image", "is a directory"),
    "another suffix": ("d.csv", lambda p: p.write_text("1,2\n"), "image", "unsupported file type"),
}


def write_case(tmp_path, name):
    file_name, write, modality, needle = CASES[name]
    path = tmp_path / file_name
    write(path)
    return path, modality, needle


@pytest.mark.parametrize("name", list(CASES))
def test_bad_file_is_refused_in_one_line(tmp_path, monkeypatch, name):
    from viewmaker_cli.data.tensor_file import load_tensor_file
    from viewmaker_cli.errors import UserError

    monkeypatch.chdir(tmp_path)  # Evil would write PWNED here
    path, modality, needle = write_case(tmp_path, name)
    with pytest.raises(UserError) as refused:
        load_tensor_file(str(path), modality)
    message = str(refused.value)
    assert "\n" not in message and needle.lower() in message.lower(), message
    assert not (tmp_path / "PWNED").exists()


# One case of each kind through the whole command: the refusal comes before training and leaves only .hydra/.
THROUGH_THE_CLI = ["truncated npy", "npz member promising 10**12 examples", "pickled object in pt", "huge labels",
                   "NaN", "a directory"]


@pytest.mark.parametrize("name", THROUGH_THE_CLI)
def test_bad_file_stops_pretrain_before_training(vmk, tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    path, modality, needle = write_case(tmp_path, name)
    run = tmp_path / "run"
    code, _, err = vmk("pretrain", *TINY, f"modality={modality}", f"data.path={path}", f"hydra.run.dir={run}")
    assert_one_line_error(code, err, run, needle)
    assert not (tmp_path / "PWNED").exists()


def test_fewer_examples_than_a_batch_stops_pretrain(vmk, tmp_path):
    np.save(tmp_path / "d.npy", IMAGES[:6])  # 5 to train on, batch 8
    code, _, err = vmk("pretrain", *TINY, "data.batch_size=8", f"data.path={tmp_path / 'd.npy'}", f"hydra.run.dir={tmp_path / 'run'}")
    assert_one_line_error(code, err, tmp_path / "run", "lower data.batch_size")


@pytest.mark.parametrize("labels", [(LABELS % 4).astype(np.float32), LABELS % 2 == 0, (LABELS % 4).astype(np.uint16)],
                         ids=["whole floats", "booleans", "uint16"])
def test_labels_of_other_number_types_are_taken_as_classes(tmp_path, labels):
    from viewmaker_cli.data.tensor_file import load_tensor_file

    np.savez(tmp_path / "d.npz", x=IMAGES, y=labels)
    splits = load_tensor_file(str(tmp_path / "d.npz"))
    assert splits.num_classes == int(labels.max()) + 1 and splits.train_y.dtype == torch.int64


def test_pt_files_load_memory_mapped_and_in_the_legacy_format(tmp_path):
    from viewmaker_cli.data.tensor_file import load_tensor_file

    x = torch.rand(20, 2, 16)
    torch.save({"x": x, "y": torch.from_numpy(LABELS)}, tmp_path / "new.pt")
    torch.save({"x": x.to(torch.bfloat16)}, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    new = load_tensor_file(str(tmp_path / "new.pt"), modality="sensor")
    old = load_tensor_file(str(tmp_path / "old.pt"), modality="sensor")
    assert new.num_classes == 4 and len(new.train_x) + len(new.test_x) == 20
    assert old.num_classes == 0 and old.train_x.dtype == torch.float32
