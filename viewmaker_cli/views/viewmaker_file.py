"""A trained viewmaker as files other code can load with torch alone: `viewmaker.safetensors` (the network's
state_dict, the spec in its metadata too) and `viewmaker.json` (what to build: channels, dims, width, blocks,
budget, clamp, norm, input shape). `Viewmaker.from_pretrained(PATH)` reads these, or a vmk checkpoint, or a
run dir holding either."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import torch

from viewmaker_cli.core.atomic import atomic_output, atomic_write_text
from viewmaker_cli.errors import UserError

FORMAT, FORMAT_VERSION = "vmk-viewmaker", 1
WEIGHTS, SIDECAR = "viewmaker.safetensors", "viewmaker.json"
PREFIX = "viewmaker."  # the viewmaker's keys in a checkpoint's state_dict (learned and combined views alike)


def viewmaker_spec(config: dict, input_shape: list[int] | tuple[int, ...], source: dict | None = None) -> dict:
    """viewmaker.json for a run's resolved `config` (plain dict) trained on examples of `input_shape`."""
    views, modality = config["views"], config["modality"]
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "num_channels": int(input_shape[0]),
        "dims": len(input_shape) - 1,
        "width": views["width"],
        "num_res_blocks": views["num_res_blocks"],
        "budget": config["budget"],
        "clamp": modality["clamp"],
        "norm": views.get("norm", "l1"),
        "frequency_domain": views.get("frequency_domain", False),
        "input_shape": list(input_shape),  # the examples it was trained on; any size works
        # What x the network was trained on: vmk's model space (data/splits.py).
        "input": "float images in [0,1] (uint8 / 255)" if modality["clamp"] else "the data as vmk stores it (z-scored)",
        "after_expert_views": views["name"] == "combined",  # combined: training applied it to expert views
        "weights": WEIGHTS,
        "source": source or {},
    }


def write_viewmaker(out: Path, viewmaker: torch.nn.Module, spec: dict) -> tuple[Path, Path]:
    """viewmaker.safetensors and viewmaker.json in `out`, each atomically."""
    from safetensors.torch import save_file

    tensors = {k: v.detach().cpu().contiguous() for k, v in viewmaker.state_dict().items()}
    weights, sidecar = out / WEIGHTS, out / SIDECAR
    with atomic_output(weights) as tmp:
        save_file(tensors, str(tmp), metadata={"format": FORMAT, "spec": json.dumps(spec)})
    atomic_write_text(sidecar, json.dumps(spec, indent=2) + "\n")
    return weights, sidecar


def read_viewmaker(path: str | Path) -> tuple[dict, dict]:
    """(spec, state_dict) of the viewmaker at `path`: viewmaker.safetensors (or its .json), a vmk checkpoint,
    or a run dir (its viewmaker.safetensors, else checkpoints/last.ckpt). UserError when none is there."""
    path = Path(path).expanduser()
    if path.is_dir():
        found = [p for p in (path / WEIGHTS, path / "checkpoints" / "last.ckpt") if p.is_file()]
        if not found:
            raise UserError(f"{path}: neither {WEIGHTS} (vmk embed) nor checkpoints/last.ckpt (vmk pretrain) is in it")
        path = found[0]
    if path.suffix == ".json":
        path = path.with_name(json.loads(path.read_text())["weights"])
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    if path.suffix == ".safetensors":
        return _read_safetensors(path)
    return _read_checkpoint(path)


def _read_safetensors(path: Path) -> tuple[dict, dict]:
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        metadata = f.metadata() or {}
        if metadata.get("format") != FORMAT:
            raise UserError(f"{path}: not a vmk viewmaker file (format {metadata.get('format')!r}, expected {FORMAT!r})")
        return json.loads(metadata["spec"]), {k: f.get_tensor(k) for k in f.keys()}


def _read_checkpoint(path: Path) -> tuple[dict, dict]:
    try:  # plain data only: nothing in the file runs
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, EOFError, RuntimeError, OSError) as error:
        raise UserError(f"{path}: not a readable vmk checkpoint ({type(error).__name__})") from None
    if not isinstance(checkpoint, dict) or "vmk" not in checkpoint:
        raise UserError(f"{path}: not a vmk checkpoint (no 'vmk' entry; was it written by vmk pretrain?)")
    config = checkpoint["vmk"]["config"]
    if config["views"]["name"] not in ("learned", "combined"):
        raise UserError(f"{path}: this run has no viewmaker (views={config['views']['name']}); learned or combined views train one")
    state = {k[len(PREFIX):]: v for k, v in checkpoint["state_dict"].items() if k.startswith(PREFIX)}
    source = {"checkpoint": str(path.resolve()), "global_step": checkpoint.get("global_step"), "data": config["data"]["name"],
              "objective": config["objective"]["name"], "seed": config["seed"]}
    return viewmaker_spec(config, checkpoint["vmk"]["input_shape"], source), state
