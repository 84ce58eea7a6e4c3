"""A saved run's networks rebuilt from its checkpoint: what `vmk probe`, `vmk views` and `vmk embed` use."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from viewmaker_cli.data.speech.frontend import LogMelFrontend
from viewmaker_cli.errors import UserError
from viewmaker_cli.models.encoder import Normalizer, build_encoder
from viewmaker_cli.training.checkpoint import load_checkpoint
from viewmaker_cli.views.families import build_views


@dataclass
class Pretrained:
    path: Path
    config: dict  # the pretraining run's resolved config
    input_shape: tuple[int, ...]  # of the stored data: [C, H, W], or [C, T] (series, speech waveforms)
    encoder: nn.Module  # eval mode
    normalizer: Normalizer | LogMelFrontend  # applied to views before the encoder
    view: nn.Module  # the run's view family: viewmaker (frozen, still stochastic), expert set or noise
    global_step: int | None

    @property
    def dims(self) -> int:
        return len(self.input_shape) - 1


def submodule_state(state_dict: dict, prefix: str) -> dict:
    return {k[len(prefix) :]: v for k, v in state_dict.items() if k.startswith(prefix)}


def _networks(config: dict, shape: tuple[int, ...], meta: dict, state: dict):
    """The encoder, normaliser and views a run's config describes, holding the weights in `state`."""
    channels, dims = shape[0], len(shape) - 1
    normalizer = LogMelFrontend.from_meta(meta) if meta.get("waveform") else Normalizer.identity(channels, dims)
    normalizer.load_state_dict(submodule_state(state, "normalizer."))
    encoder = build_encoder(config, *normalizer.encoder_input(channels, dims))
    encoder.load_state_dict(submodule_state(state, "encoder."))
    view, viewmaker = build_views(config, channels, dims, meta)
    if viewmaker is not None:
        viewmaker.load_state_dict(submodule_state(state, "viewmaker."))
    return encoder, normalizer, view


def load_pretrained(path: str | Path, device: torch.device | str = "cpu") -> Pretrained:
    """Encoder, normaliser and views of the vmk checkpoint at `path` (UserError if it is not one)."""
    checkpoint = load_checkpoint(path)
    saved, state = checkpoint["vmk"], checkpoint["state_dict"]
    config, shape = saved["config"], tuple(saved["input_shape"])
    try:
        encoder, normalizer, view = _networks(config, shape, saved.get("view_meta", {}), state)
    except Exception as error:  # a config that builds no network, or weights of other shapes: the file is not what it says
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        detail = next((line for line in lines if line.startswith(("size mismatch", "Missing key", "Unexpected key"))),
                      lines[0] if lines else type(error).__name__)
        raise UserError(f"ckpt={path}: its config and weights do not make a network vmk can build ({detail[:200]}); "
                        "the file was edited or written by another vmk version") from error
    for module in (encoder, normalizer, view):
        module.to(device).eval().requires_grad_(False)
    return Pretrained(Path(path), config, shape, encoder, normalizer, view, checkpoint.get("global_step"))
