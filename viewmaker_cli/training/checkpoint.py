"""Checkpoints are data, not code: written atomically, read with weights_only=True."""

from __future__ import annotations

import pickle
import random
from pathlib import Path

import numpy as np
import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO

from viewmaker_cli.core.atomic import atomic_output
from viewmaker_cli.errors import UserError

FORMAT = 1  # bump when the layout of the "vmk" entry changes


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning's checkpoint writer, but via a temp file and a rename: a run killed while writing
    leaves the previous checkpoint intact."""

    def save_checkpoint(self, checkpoint, path, storage_options=None) -> None:
        with atomic_output(path) as tmp:
            super().save_checkpoint(checkpoint, tmp, storage_options)


def get_rng_states() -> dict:
    """torch, CUDA, numpy and python RNG states as tensors and plain data (weights_only-loadable)."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "cached_gaussian": float(cached)},
        "python": _to_lists(random.getstate()),
    }


def set_rng_states(states: dict) -> None:
    torch.set_rng_state(states["torch"])
    if states["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])
    n = states["numpy"]
    np.random.set_state((n["kind"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached_gaussian"]))
    random.setstate(_to_tuples(states["python"]))


def _to_lists(value):
    return [_to_lists(v) for v in value] if isinstance(value, tuple) else value


def _to_tuples(value):
    return tuple(_to_tuples(v) for v in value) if isinstance(value, list) else value


def save_checkpoint(trainer, path: str | Path) -> Path:
    """The trainer's full checkpoint (weights, both optimisers, step, config) via temp file + rename."""
    path = Path(path)
    with atomic_output(path) as tmp:
        trainer.save_checkpoint(tmp, weights_only=False)
    return path


def load_checkpoint(path: str | Path) -> dict:
    """Load a vmk checkpoint without executing anything from the file; UserError if it is not one."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise UserError(f"ckpt={path}: no such file")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        # Raised before anything in the file runs: it asks for code (a class or function) to be called.
        detail = next((l.strip() for l in str(error).splitlines() if "Unsupported global" in l), "not plain data")
        raise UserError(f"ckpt={path}: refused to load, it holds code as well as data ({detail})") from None
    except Exception as error:  # the unpickler raises many types (KeyError, EOFError, ...) on garbage
        raise UserError(f"ckpt={path}: not a readable checkpoint (truncated or not a torch file: {type(error).__name__})") from None
    if not isinstance(checkpoint, dict) or "vmk" not in checkpoint or "state_dict" not in checkpoint:
        raise UserError(f"ckpt={path}: not a vmk checkpoint (no 'vmk' entry; was it written by vmk pretrain?)")
    return checkpoint
