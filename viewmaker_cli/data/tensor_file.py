"""`data=tensor_file data.path=FILE`: pretrain on any array file, labelled or not.

Accepted: `.npy` (one array of examples, no labels), `.npz` or `.pt` (a dict) with `x` and optionally
`y`, `x_test`, `y_test`. Examples are [N, C, H, W] or [N, C, T]. Without a test split, a fixed seeded
20% of labelled examples is held out for the probe. Without labels, every example pretrains (there is no probe
to hold any out for) and the probe is skipped.
`.pt` files are read with weights_only=True: tensors and plain data only.
"""

from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import torch

from viewmaker_cli.data.info import DatasetInfo
from viewmaker_cli.data.splits import Splits
from viewmaker_cli.errors import UserError

HELD_OUT = 0.2
# What examples and labels may be stored as; anything else (complex, strings, objects, dates, records) is refused.
NUMBER_KINDS = "biuf"  # numpy: bool, signed, unsigned, float
TORCH_NUMBERS = {torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64, torch.float16,
                 torch.bfloat16, torch.float32, torch.float64}
KIND_NAMES = {"c": "complex numbers", "O": "Python objects", "U": "strings", "S": "bytes", "V": "records",
              "M": "dates", "m": "time spans"}
REWRITE = "write it again (np.save / np.savez / torch.save)"


def first_sentence(error: BaseException) -> str:
    """An exception's message cut to its first sentence on one line (torch's and numpy's run to paragraphs)."""
    text = (str(error).splitlines() or [""])[0].split(". ")[0][:160]
    return text or type(error).__name__


def _memory_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not every OS reports it: no limit then
        return 1 << 62


def _check_header(f, stored: int, name: str, path: Path) -> None:
    """Read one .npy header, not its data: refuse what vmk cannot train on, a size the file does not hold
    (truncated, or an edited header) and one beyond this machine's memory, before anything is allocated."""
    where = f"data.path={path}: '{name}'"
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(f)
        else:  # 3.0 only differs for records with non-ASCII field names: refused below anyway
            raise UserError(f"{where} is stored as .npy version {version}, which holds records; save numbers")
    except ValueError as error:
        raise UserError(f"{where} has a damaged .npy header ({str(error).splitlines()[0]}); {REWRITE}") from None
    if dtype.kind not in NUMBER_KINDS:
        raise UserError(f"{where} holds {KIND_NAMES.get(dtype.kind, dtype)} ({dtype}); save real numbers (uint8 or float)")
    need = f.tell() + int(np.prod(shape, dtype=np.float64)) * dtype.itemsize  # float: a crafted shape cannot overflow
    if need > stored:
        raise UserError(f"{where}: its header promises {tuple(shape)} {dtype} ({need} bytes) but the file holds "
                        f"{stored} bytes: it is truncated or was edited; {REWRITE}")
    if need > _memory_bytes():
        raise UserError(f"{where} is {need / 2**30:.1f} GiB, more than this machine's memory "
                        f"({_memory_bytes() / 2**30:.1f} GiB): use a smaller file")


def _check_headers(path: Path) -> None:
    if path.suffix == ".npy":
        with path.open("rb") as f:
            _check_header(f, path.stat().st_size, "x", path)
    elif path.suffix == ".npz":
        with zipfile.ZipFile(path) as archive:
            for member in archive.infolist():
                with archive.open(member) as f:
                    _check_header(f, member.file_size, member.filename.removesuffix(".npy"), path)


def _torch_load(path: Path):
    try:  # memory-mapped: storages are read when used, not all at once
        return torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except RuntimeError as error:
        if "mmap" not in str(error):
            raise
        return torch.load(path, map_location="cpu", weights_only=True)  # the legacy (pre-zip) format


def _read(path: Path) -> dict:
    if path.is_dir():
        raise UserError(f"data.path={path} is a directory; give one file (FILE.npy, FILE.npz or FILE.pt)")
    if not path.is_file():
        raise UserError(f"data.path={path}: no such file (data=tensor_file needs data.path=FILE.npy|.npz|.pt)")
    if path.suffix not in (".npy", ".npz", ".pt"):
        raise UserError(f"data.path={path}: unsupported file type {path.suffix!r} (use .npy, .npz or .pt)")
    if path.stat().st_size == 0:
        raise UserError(f"data.path={path} is empty (0 bytes); {REWRITE}")
    try:
        _check_headers(path)
        if path.suffix == ".npy":
            return {"x": np.load(path, allow_pickle=False)}
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                return {k: archive[k] for k in archive.files}
        data = _torch_load(path)
    except pickle.UnpicklingError as error:
        detail = next((line.strip() for line in str(error).splitlines() if "unsupported global" in line.lower()), None)
        if detail:  # weights_only refused a class or function: nothing in the file ran
            raise UserError(f"data.path={path}: refused to load, it holds Python objects, not only tensors ({detail}); "
                            "save a tensor or a dict of tensors") from None
        raise UserError(f"data.path={path}: not a readable .pt file ({first_sentence(error)}); {REWRITE}") from None
    except (ValueError, OSError, RuntimeError, EOFError, KeyError, IndexError, TypeError, AttributeError,
            zipfile.BadZipFile, MemoryError, UnicodeDecodeError) as error:  # what numpy/torch/zipfile raise on garbage
        raise UserError(f"data.path={path}: not a readable {path.suffix} file ({first_sentence(error)}); {REWRITE}") from None
    if isinstance(data, (torch.Tensor, np.ndarray)):
        return {"x": data}
    if not isinstance(data, dict):
        raise UserError(f"data.path={path} holds a {type(data).__name__}; save a tensor, or a dict with 'x' "
                        "(and 'y', 'x_test', 'y_test')")
    return data


def _tensor(value, name: str, path: Path) -> torch.Tensor:
    """`value` as a tensor of real numbers, or one line saying why it cannot be one."""
    where = f"data.path={path}: '{name}'"
    if isinstance(value, torch.Tensor) and value.layout != torch.strided:
        raise UserError(f"{where} is a {value.layout} tensor; save a dense one (t.to_dense())")
    if isinstance(value, torch.Tensor) and value.dtype in TORCH_NUMBERS:
        t = value
    elif isinstance(value, torch.Tensor) and value.dtype not in (torch.uint16, torch.uint32, torch.uint64):
        raise UserError(f"{where} holds {value.dtype}; save real numbers (uint8 or float)")
    else:  # numpy arrays, lists, and the unsigned tensors few torch ops take: through numpy
        try:
            array = np.asarray(value.numpy() if isinstance(value, torch.Tensor) else value)
        except (ValueError, TypeError) as error:  # ragged lists
            raise UserError(f"{where} is not one regular array ({str(error).splitlines()[0][:120]}); "
                            "save equal-sized examples as one array") from None
        if array.dtype.kind not in NUMBER_KINDS:
            raise UserError(f"{where} holds {KIND_NAMES.get(array.dtype.kind, array.dtype)} ({array.dtype}); "
                            "save real numbers (uint8 or float)")
        if array.dtype.kind == "u" and array.itemsize > 1:
            if array.size and array.max() > np.iinfo(np.int64).max:
                raise UserError(f"{where} holds values up to {array.max()}, too large for any dataset")
            array = array.astype(np.int64)
        t = torch.from_numpy(np.ascontiguousarray(array))
    if name.startswith("x"):
        if t.ndim not in (3, 4):
            raise UserError(f"{where} has shape {tuple(t.shape)}; expected [N, C, H, W] or [N, C, T]")
        if 0 in t.shape[1:]:
            raise UserError(f"{where} has shape {tuple(t.shape)}: an example needs at least one channel and one value")
        if t.dtype == torch.bool:
            raise UserError(f"{where} holds booleans; save uint8 (images, 0..255) or floats")
    return t


def _labels(value, name: str, path: Path, examples: int) -> torch.Tensor:
    """Class numbers 0, 1, ... as int64; whole floats and booleans are taken as such."""
    y = _tensor(value, name, path)
    where = f"data.path={path}: '{name}'"
    if y.ndim != 1 or len(y) != examples:
        raise UserError(f"{where} has shape {tuple(y.shape)}, expected [{examples}] (one label per example)")
    if y.is_floating_point():
        if not bool(torch.isfinite(y).all()) or not bool((y == y.round()).all()):
            raise UserError(f"{where} holds labels that are not whole numbers (e.g. NaN or 0.5); "
                            "save class numbers 0, 1, 2, ... as integers")
        if len(y) and float(y.abs().max()) > 2**62:
            raise UserError(f"{where} holds labels up to {float(y.abs().max()):g}; save class numbers 0, 1, 2, ...")
    y = y.long()
    if len(y) and int(y.min()) < 0:
        raise UserError(f"{where} holds negative labels (down to {int(y.min())}); classes are numbered 0, 1, 2, ... "
                        "(leave 'y' out for unlabelled data)")
    return y


def _as_modality(x: torch.Tensor, modality: str, path: Path, name: str = "x") -> torch.Tensor:
    if x.is_floating_point() and not bool(torch.isfinite(x).all()):
        bad = int((~torch.isfinite(x)).sum())
        raise UserError(f"data.path={path}: '{name}' holds {bad} NaN or Inf values; replace them (np.nan_to_num) "
                        "or drop those examples")
    if modality == "image":
        if x.dtype == torch.uint8:
            return x
        if x.is_floating_point() and x.min() >= 0 and x.max() <= 1:
            return (x * 255).round().to(torch.uint8)
        raise UserError(f"data.path={path}: image data must be uint8 or floats in [0,1], got {x.dtype} in [{x.min()}, {x.max()}]")
    return x.float()


def load_tensor_file(path: str | None = None, modality: str = "image", seed: int = 0) -> Splits:
    if not path:
        raise UserError("data=tensor_file needs data.path=FILE (.npy, .npz or .pt)")
    file = Path(path).expanduser()
    data = _read(file)
    if "x" not in data:
        raise UserError(f"data.path={file}: no 'x' array (found: {', '.join(map(str, data)) or 'nothing'})")
    x = _as_modality(_tensor(data["x"], "x", file), modality, file)
    y = _labels(data["y"], "y", file, len(x)) if "y" in data else None
    if "x_test" in data:
        x_test = _as_modality(_tensor(data["x_test"], "x_test", file), modality, file, "x_test")
        y_test = _labels(data["y_test"], "y_test", file, len(x_test)) if "y_test" in data else None
        if len(x) == 0 or len(x_test) == 0:
            raise UserError(f"data.path={file}: 'x' has {len(x)} and 'x_test' {len(x_test)} examples; both need some")
    elif len(x) < 2:
        raise UserError(f"data.path={file}: 'x' has {len(x)} example(s); at least 2 are needed (contrastive views need "
                        f"negatives; with labels a seeded {HELD_OUT:.0%} is held out for the probe)")
    elif y is None:  # unlabelled: no probe can use a held-out part, so all of it pretrains
        x_test, y_test = x[:0], None
    else:
        order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
        cut = max(1, int(round(len(x) * HELD_OUT)))
        test, train = order[:cut], order[cut:]
        x, x_test, y, y_test = x[train], x[test], y[train], y[test]
    labelled = y is not None and y_test is not None
    num_classes = int(max(y.max(), y_test.max())) + 1 if labelled else 0
    if labelled and num_classes > len(y) + len(y_test):  # also keeps a crafted label of 10**12 from building 10**12 class names
        raise UserError(f"data.path={file}: labels go up to {num_classes - 1} but there are only {len(y) + len(y_test)} "
                        "examples; number the classes 0..K-1 (e.g. y = np.unique(y, return_inverse=True)[1])")
    if not labelled:  # -1 marks "no label"; the probe is skipped
        y, y_test = torch.full((len(x),), -1), torch.full((len(x_test),), -1)
    return Splits(
        name="tensor_file",
        modality=modality,
        train_x=x,
        train_y=y,
        test_x=x_test,
        test_y=y_test,
        num_classes=num_classes,
        class_names=[str(i) for i in range(num_classes)],
        source=str(file.resolve()),
    )


# The datasets this module reads (data/catalog.py lists them by name).
DATASETS = (
    DatasetInfo(
        name="tensor_file",
        modality="any",
        description="any array file: data.path=FILE (.npy/.npz/.pt, [N,C,H,W] or [N,C,T], labels optional)",
        loader=load_tensor_file,
        embedded=True,  # nothing to search for or cache: the file is read as it is
        how_to_get="your own file: data=tensor_file data.path=FILE",
    ),
)
