"""`data=tensor_file data.path=FILE`: pretrain on any array file, labelled or not.

Accepted: `.npy` (one array of examples, no labels), `.npz` or `.pt` (a dict) with `x` and optionally
`y`, `x_test`, `y_test`. Examples are [N, C, H, W] or [N, C, T]. Without a test split, a fixed seeded
20% of labelled examples is held out for the probe. Without labels, every example pretrains (there is no probe
to hold any out for) and the probe is skipped.
`.pt` files are read with weights_only=True: tensors and plain data only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from viewmaker_cli.data.info import DatasetInfo
from viewmaker_cli.data.splits import Splits
from viewmaker_cli.errors import UserError

HELD_OUT = 0.2


def _read(path: Path) -> dict:
    if not path.is_file():
        raise UserError(f"data.path={path}: no such file (data=tensor_file needs data.path=FILE.npy|.npz|.pt)")
    try:
        if path.suffix == ".npy":
            return {"x": np.load(path, allow_pickle=False)}
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                return {k: archive[k] for k in archive.files}
        if path.suffix == ".pt":
            data = torch.load(path, map_location="cpu", weights_only=True)
            return data if isinstance(data, dict) else {"x": data}
    except (ValueError, OSError, RuntimeError, EOFError, KeyError) as error:
        raise UserError(f"data.path={path}: not a readable {path.suffix} file ({str(error).splitlines()[0]})") from None
    raise UserError(f"data.path={path}: unsupported file type {path.suffix!r} (use .npy, .npz or .pt)")


def _tensor(value, name: str, path: Path) -> torch.Tensor:
    t = value if isinstance(value, torch.Tensor) else torch.from_numpy(np.asarray(value))
    if name.startswith("x") and t.ndim not in (3, 4):
        raise UserError(f"data.path={path}: '{name}' has shape {tuple(t.shape)}; expected [N, C, H, W] or [N, C, T]")
    return t


def _as_modality(x: torch.Tensor, modality: str, path: Path) -> torch.Tensor:
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
        raise UserError(f"data.path={file}: no 'x' array (found: {', '.join(data) or 'nothing'})")
    x = _as_modality(_tensor(data["x"], "x", file), modality, file)
    y = _tensor(data["y"], "y", file).long() if "y" in data else None
    if y is not None and (y.ndim != 1 or len(y) != len(x)):
        raise UserError(f"data.path={file}: 'y' has shape {tuple(y.shape)}, expected [{len(x)}]")
    if "x_test" in data:
        x_test = _as_modality(_tensor(data["x_test"], "x_test", file), modality, file)
        y_test = _tensor(data["y_test"], "y_test", file).long() if "y_test" in data else None
    elif y is None:  # unlabelled: no probe can use a held-out part, so all of it pretrains
        x_test, y_test = x[:0], None
    else:
        order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
        cut = max(1, int(round(len(x) * HELD_OUT)))
        test, train = order[:cut], order[cut:]
        x, x_test, y, y_test = x[train], x[test], y[train], y[test]
    labelled = y is not None and y_test is not None
    num_classes = int(max(y.max(), y_test.max())) + 1 if labelled else 0
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
