"""Checkpoints are data, not code: written atomically, read with weights_only=True."""

from __future__ import annotations

import pickle
import random
from pathlib import Path

import numpy as np
import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO

from viewmaker_cli.core.atomic import atomic_output
from viewmaker_cli.core.checkpoint_file import checkpoint_file
from viewmaker_cli.errors import UserError

FORMAT = 1  # bump when the layout of the "vmk" entry changes
CONFIG_SECTIONS = ("modality", "data", "model", "views", "objective")
# Read by the commands besides the network builders (whose own errors are caught where they build).
CONFIG_KEYS = ("budget", "modality.name", "views.name", "data.name", "data.root", "data.download", "data.pad_to")


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
    """Load a vmk checkpoint without executing anything from the file; UserError if it is not one, or if
    what it says does not hold together (see check_contents)."""
    path = checkpoint_file(path)
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except pickle.UnpicklingError as error:
        # Raised before anything in the file runs: it asks for code (a class or function) to be called.
        detail = next((l.strip() for l in str(error).splitlines() if "unsupported global" in l.lower()), None)
        if detail is None:  # garbage that is not a zip file reaches the legacy unpickler
            raise UserError(f"ckpt={path}: not a readable checkpoint (truncated or not a torch file)") from None
        raise UserError(f"ckpt={path}: refused to load, it holds code as well as data ({detail})") from None
    except Exception as error:  # the unpickler raises many types (KeyError, EOFError, ...) on garbage
        raise UserError(f"ckpt={path}: not a readable checkpoint (truncated or not a torch file: {type(error).__name__})") from None
    if not isinstance(checkpoint, dict) or "vmk" not in checkpoint or "state_dict" not in checkpoint:
        raise UserError(f"ckpt={path}: not a vmk checkpoint (no 'vmk' entry; was it written by vmk pretrain?)")
    check_contents(checkpoint, path)
    return checkpoint


def check_contents(checkpoint: dict, path: Path) -> None:
    """What vmk reads from a checkpoint is there, of the right kind, and every weight is a finite number: a
    damaged or hand-made file stops here in one line, not in a traceback or a probe at chance level."""
    where = f"ckpt={path}"
    saved, state = checkpoint["vmk"], checkpoint["state_dict"]
    if not isinstance(saved, dict) or saved.get("format") != FORMAT:
        found = saved.get("format") if isinstance(saved, dict) else None
        raise UserError(f"{where}: checkpoint format {found!r}, this vmk reads format {FORMAT}; "
                        "use the vmk version that wrote it")
    config, shape = saved.get("config"), saved.get("input_shape")
    if not isinstance(config, dict) or not all(isinstance(config.get(k), dict) for k in CONFIG_SECTIONS):
        raise UserError(f"{where}: its 'vmk' entry has no run config (sections {', '.join(CONFIG_SECTIONS)}); "
                        "the file is damaged or was not written by vmk pretrain")
    absent = [key for key in CONFIG_KEYS if _lookup(config, key.split(".")) is _ABSENT]
    if absent:
        raise UserError(f"{where}: its run config has no {', '.join(absent)}; the file is damaged or was written "
                        "by another vmk version")
    if (not isinstance(shape, (list, tuple)) or len(shape) not in (2, 3)
            or not all(isinstance(n, int) and not isinstance(n, bool) and 0 < n < 2**31 for n in shape)):
        raise UserError(f"{where}: input_shape {shape!r} is not the shape of one example ([C, H, W] or [C, T]); "
                        "the file is damaged")
    if not isinstance(saved.get("view_meta", {}), dict):
        raise UserError(f"{where}: its view_meta is not a dict; the file is damaged")
    step = checkpoint.get("global_step", 0)
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise UserError(f"{where}: global_step {step!r} is not a step count; the file is damaged")
    if not isinstance(state, dict) or not state or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise UserError(f"{where}: its state_dict is not a dict of tensors; the file is damaged")
    bad = [name for name, t in state.items() if t.is_floating_point() and not bool(torch.isfinite(t).all())]
    if bad:
        raise UserError(f"{where}: {len(bad)} weight tensor(s) hold NaN or Inf (first: {bad[0]}); the run diverged "
                        "or the file is damaged: use an earlier checkpoint (checkpoints/step*.ckpt)")


_ABSENT = object()


def _lookup(tree: dict, keys: list[str]):
    for key in keys:
        if not isinstance(tree, dict) or key not in tree:
            return _ABSENT
        tree = tree[key]
    return tree


def check_resumable(checkpoint: dict, path: str | Path, expected: dict) -> None:
    """A checkpoint a run continues from: Lightning's training state is there, the RNG states restore, and its
    weights have the names and shapes of this run's networks (`expected`: the new system's state_dict)."""
    where = f"ckpt={path}"
    kinds = {"optimizer_states": list, "lr_schedulers": list, "loops": dict, "callbacks": dict, "epoch": int}
    wrong = [k for k, kind in kinds.items() if not isinstance(checkpoint.get(k), kind)]
    if not wrong and not all(isinstance(s, dict) and "state" in s and "param_groups" in s for s in checkpoint["optimizer_states"]):
        wrong = ["optimizer_states"]
    if wrong:
        raise UserError(f"{where} holds weights but not the training state to continue from ({', '.join(wrong)} "
                        "missing or damaged); start a new run, or probe it with vmk probe")
    current = get_rng_states()
    try:
        set_rng_states(checkpoint["vmk"]["rng"])
    except Exception:  # any part missing or of the wrong kind: the file does not hold RNG states vmk wrote
        raise UserError(f"{where}: its RNG states are missing or damaged; resume needs a checkpoint written by "
                        "vmk pretrain") from None
    finally:
        set_rng_states(current)
    state = checkpoint["state_dict"]
    for name, tensor in expected.items():
        if name not in state:
            raise UserError(f"{where} has no weights for {name}: it was written for other networks than this "
                            "run's config (model, views, objective); resume with the same settings")
        if tuple(state[name].shape) != tuple(tensor.shape):
            raise UserError(f"{where}: {name} has shape {tuple(state[name].shape)}, this run's network "
                            f"{tuple(tensor.shape)}: resume with the settings of the run that wrote it")
    extra = [name for name in state if name not in expected]
    if extra:
        raise UserError(f"{where} has weights this run's networks do not have ({extra[0]}); resume with the "
                        "settings of the run that wrote it")
