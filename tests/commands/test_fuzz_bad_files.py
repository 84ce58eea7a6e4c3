"""A seeded, bounded fuzzer over the files a user hands vmk: random array files (.npy, .npz, .pt: dtypes,
shapes, labels, NaN/Inf, truncations, flipped bytes, edited .npy headers) and random damage to a real
checkpoint (keys deleted, values of other types, tensors of other shapes or NaN, truncations). Each is either
accepted, or refused with a UserError of one line; never another exception. A few refused ones also go
through `vmk` in this process: exit 2, one line, nothing written but `.hydra/`."""

from __future__ import annotations

import copy
import io
import traceback

import numpy as np
import pytest
import torch

from tests.one_line import assert_one_line_error

SEED = 12
ARRAY_CASES = 40
CHECKPOINT_CASES = 30
DTYPES = [np.uint8, np.float32, np.float64, np.float16, np.int16, np.int64, np.uint16, np.uint64, np.bool_,
          np.complex64, "<U2", "datetime64[s]", object, [("a", "<i4")]]


def good_content(rng, modality: str) -> dict:
    """A file vmk accepts: images uint8 [N, C, H, W], other data float32 [N, C, T] or [N, C, F, T], labels 0..3."""
    examples = int(rng.integers(12, 41))
    if modality == "image":
        x = rng.integers(0, 256, (examples, int(rng.choice([1, 3])), 8, 8), dtype=np.uint8)
    else:
        x = rng.normal(size=(examples, 2, 16) if rng.random() < 0.5 else (examples, 1, 4, 16)).astype(np.float32)
    return {"x": x, "y": rng.integers(0, 4, examples)}


def other_dtype(rng, array):
    dtype = DTYPES[rng.integers(len(DTYPES))]
    if dtype is object:
        return np.array([1, "a", None], dtype=object)
    try:
        with np.errstate(all="ignore"):
            return np.asarray((array * float(rng.choice([1, 1e40]))).astype(dtype))
    except (TypeError, ValueError):
        return np.zeros(array.shape, dtype=dtype)


def other_shape(rng, array):
    ndim = int(rng.choice([0, 1, 2, 3, 4, 5]))
    return np.zeros(tuple(int(n) for n in rng.integers(0, 5, ndim)), dtype=array.dtype)


def with_nan(rng, array):
    out = array.astype(np.float32)
    out.flat[rng.integers(out.size)] = rng.choice([np.nan, np.inf, -np.inf])
    return out


def bad_labels(rng, examples: int):
    kind = rng.integers(5)
    if kind == 0:
        return rng.integers(-3, 3, examples)
    if kind == 1:
        return rng.integers(0, 2**62, examples)
    if kind == 2:
        return rng.random(examples) * 4
    if kind == 3:
        return rng.integers(0, 4, int(rng.integers(0, examples + 3)))
    return rng.integers(0, 4, (examples, 2))


def defect(rng, content: dict) -> str:
    """Change `content` in one random way; return what was done."""
    if "x" not in content:
        return "no x"
    x = content["x"]
    kind = int(rng.integers(8))
    if kind == 0:
        content["x"] = other_dtype(rng, x)
    elif kind == 1:
        content["x"] = other_shape(rng, x)
    elif kind == 2:
        content["x"] = with_nan(rng, x)
    elif kind == 3:
        content["y"] = bad_labels(rng, len(x))
    elif kind == 4:
        content["x"], content["y"] = x[: int(rng.integers(0, 3))], content["y"][: int(rng.integers(0, 3))]
    elif kind == 5:
        content["x_test"] = x[:3, ..., : max(1, x.shape[-1] // 2)] if rng.random() < 0.5 and x.ndim > 1 else x[:0] if x.ndim else x
    elif kind == 6:
        content["y"] = other_dtype(rng, content["y"])
    else:
        content.pop("x")
    return ["dtype", "shape", "NaN/Inf", "labels", "few examples", "x_test", "label dtype", "no x"][kind]


def write_array_file(rng, path_base):
    """A random array file, good or damaged; returns (path, modality, what was done)."""
    modality = str(rng.choice(["image", "sensor", "audio"]))
    suffix = str(rng.choice([".npy", ".npz", ".pt"]))
    path = path_base.with_suffix(suffix)
    content = good_content(rng, modality)
    done = [defect(rng, content) for _ in range(int(rng.choice([0, 1, 1, 2])))]
    buffer = io.BytesIO()
    if suffix == ".npy" and rng.random() < 0.2:
        buffer.write(npy_with_header(rng))
        done.append("header")
    elif suffix == ".npy":
        np.save(buffer, content.get("x", np.zeros(0)))
    elif suffix == ".npz":
        np.savez(buffer, **content)
    else:
        tensors = {k: torch.from_numpy(v) if v.dtype.kind in "biufc" and v.dtype != np.uint64 else v.tolist()
                   for k, v in content.items()}
        torch.save(tensors if rng.random() < 0.9 else tensors.get("x"), buffer)
    data = buffer.getvalue()
    if rng.random() < 0.25:
        data = corrupt(rng, data)
        done.append("bytes")
    path.write_bytes(data)
    return path, modality, f"{suffix} {modality}: {', '.join(done) or 'good'}"


def corrupt(rng, data: bytes) -> bytes:
    how = rng.integers(1, 6)
    if how == 1:  # truncated anywhere
        return data[: rng.integers(len(data))]
    if how == 2:  # a few flipped bytes
        raw = bytearray(data)
        for i in rng.integers(0, len(raw), 4):
            raw[i] ^= 0xFF
        return bytes(raw)
    if how == 3:  # flipped bytes in the first 128 (headers)
        raw = bytearray(data)
        for i in rng.integers(0, min(128, len(raw)), 3):
            raw[i] = int(rng.integers(256))
        return bytes(raw)
    if how == 4:  # garbage after the end
        return data + rng.bytes(int(rng.integers(1, 200)))
    return rng.bytes(len(data))  # garbage of the same length


def npy_with_header(rng) -> bytes:
    """A well-formed .npy header that promises a random (often absurd) shape of a random dtype."""
    buffer = io.BytesIO()
    shape = tuple(int(n) for n in rng.choice([0, 1, 3, 40, 10**6, 10**12], int(rng.integers(1, 5))))
    np.lib.format.write_array_header_1_0(buffer, {"descr": str(rng.choice(["<f4", "|u1", "<i8", "<c8"])),
                                                  "fortran_order": bool(rng.random() < 0.2), "shape": shape})
    return buffer.getvalue() + rng.bytes(int(rng.integers(0, 512)))


SWAPS = [None, "x", 3, -1, 2**40, 1.5, float("nan"), [], {}, [1, 2], torch.zeros(2, 2), torch.full((3,), float("nan"))]


def leaves(tree, prefix=()):
    """Every (path, value) in a nested dict/list, the containers included."""
    items = tree.items() if isinstance(tree, dict) else enumerate(tree) if isinstance(tree, list) else ()
    for key, value in items:
        yield (*prefix, key), value
        yield from leaves(value, (*prefix, key))


def damage_checkpoint(rng, good: dict):
    checkpoint = copy.deepcopy(good)
    # What vmk reads: its own entry, the weights, the step, and Lightning's top-level entries (the damage deep
    # inside Lightning's loop and callback states is for Lightning to find when it restores them).
    lightning = ("loops", "callbacks", "optimizer_states", "lr_schedulers")
    paths = [p for p, _ in leaves(checkpoint) if (p[0] not in lightning or len(p) == 1)
             and not (p[:2] == ("vmk", "rng") and len(p) > 4)]  # not each of the 625 numbers of Python's RNG state
    done = []
    for _ in range(int(rng.integers(1, 4))):
        path = paths[rng.integers(len(paths))]
        parent = checkpoint
        try:
            for key in path[:-1]:
                parent = parent[key]
            value = parent[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed it
        how = rng.integers(3)
        if how == 0 and isinstance(parent, dict):
            del parent[path[-1]]
            done.append(f"del {path}")
        elif how == 1 and isinstance(value, torch.Tensor) and value.ndim:
            shape = tuple(int(n) for n in rng.integers(1, 5, value.ndim + int(rng.integers(-1, 2))))
            fill = float(rng.choice([0.0, np.nan, np.inf]))
            parent[path[-1]] = torch.full(shape, fill) if value.is_floating_point() else torch.zeros(shape, dtype=value.dtype)
            done.append(f"{path} -> {shape} of {fill}")
        else:
            swap = SWAPS[rng.integers(len(SWAPS))]
            parent[path[-1]] = copy.deepcopy(swap)
            done.append(f"{path} = {swap!r}")
    return checkpoint, "; ".join(done)


def refused_or_fine(call, what: str):
    """Run `call`: return None when it worked, the UserError's message when it refused; fail on anything else."""
    from viewmaker_cli.errors import UserError

    try:
        call()
    except UserError as error:
        assert "\n" not in str(error), f"{what}: a message of several lines: {error}"
        return str(error)
    except BaseException:  # noqa: BLE001 - the point: nothing but UserError may come out
        pytest.fail(f"{what}: not a one-line UserError:\n{traceback.format_exc()}")
    return None


def test_random_array_files_are_accepted_or_refused_in_one_line(tmp_path, vmk):
    from viewmaker_cli.data.tensor_file import load_tensor_file

    rng = np.random.default_rng(SEED)
    refused = []
    for case in range(ARRAY_CASES):
        path, modality, what = write_array_file(rng, tmp_path / f"case{case}")
        message = refused_or_fine(lambda: load_tensor_file(str(path), modality), f"case {case} {what} ({modality})")
        if message is not None:
            refused.append((path, modality, message))
    assert ARRAY_CASES // 2 < len(refused) < ARRAY_CASES  # mostly bad files, and some good ones
    for path, modality, message in refused[:2]:  # the whole command: exit 2, the same line, nothing written
        run = tmp_path / f"run-{path.stem}"
        code, _, err = vmk("pretrain", "data=tensor_file", f"modality={modality}", f"data.path={path}",
                           "model.width=4", "views.width=4", "data.batch_size=2", f"hydra.run.dir={run}")
        assert_one_line_error(code, err, run, message)


def test_random_damage_to_a_checkpoint_is_accepted_or_refused_in_one_line(ckpts, tmp_path, vmk):
    from viewmaker_cli.training.checkpoint import check_resumable, load_checkpoint
    from viewmaker_cli.training.pretrained import load_pretrained

    good = torch.load(ckpts["image"], map_location="cpu", weights_only=True)
    rng = np.random.default_rng(SEED)
    refused = []
    for case in range(CHECKPOINT_CASES):
        checkpoint, what = damage_checkpoint(rng, good)
        buffer = io.BytesIO()
        torch.save(checkpoint, buffer)
        data = buffer.getvalue() if rng.random() < 0.7 else corrupt(rng, buffer.getvalue())
        path = tmp_path / f"case{case}.ckpt"
        path.write_bytes(data)
        message = refused_or_fine(lambda: load_pretrained(path), f"case {case} ({what})")
        refused_or_fine(lambda: check_resumable(load_checkpoint(path), path, good["state_dict"]), f"case {case} resume ({what})")
        if message is not None:
            refused.append((path, message))
    assert len(refused) > CHECKPOINT_CASES // 3  # the rest hit parts vmk does not read (e.g. the probe settings)
    path, message = refused[0]
    code, _, err = vmk("probe", f"ckpt={path}", "probe.epochs=1", f"hydra.run.dir={tmp_path / 'probe'}")
    assert_one_line_error(code, err, tmp_path / "probe", message)
