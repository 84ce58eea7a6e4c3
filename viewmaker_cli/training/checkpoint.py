"""Checkpoints are data, not code: written atomically, read with weights_only=True."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import torch

from viewmaker_cli.errors import UserError

FORMAT = 1  # bump when the layout of the "vmk" entry changes


def save_checkpoint(trainer, path: str | Path) -> Path:
    """The trainer's full checkpoint (weights, both optimisers, step, config) via temp file + rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    trainer.save_checkpoint(tmp, weights_only=False)
    os.replace(tmp, path)
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
