"""The encoder of a saved run as files other code can load without vmk: `encoder.safetensors` (the ResNet's
state_dict, nothing else) and `encoder.json` (what to build and how inputs are prepared).

Layout of the state_dict (ResNetSmall in viewmaker_cli/models/resnet.py; torch only, one file to copy):
  stem.0.weight                      first conv ([w, C, 3, 3]; "imagenet" stem: [w, C, 7, 7], stride 2, then a max-pool)
  stem.1.*                           its BatchNorm (weight, bias, running_mean, running_var, num_batches_tracked)
  stages.S.B.body.{0,3}.weight       stage S (0..3, width w·2^S), block B (0..1): two 3x3 convs
  stages.S.B.body.{1,4}.*            their BatchNorms
  stages.S.0.shortcut.{0,1}.*        1x1 conv + BatchNorm where the shape changes (S >= 1)
  head.weight, head.bias             linear map from the pooled 8w features to embedding_dim
For 1-D inputs [B, C, T] (dims=1) the same names hold Conv1d/BatchNorm1d weights."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from viewmaker_cli.core.atomic import atomic_output, atomic_write_text

FORMAT, FORMAT_VERSION = "vmk-encoder", 1


def normalization(normalizer: torch.nn.Module, stored_dtype: torch.dtype, data_meta: dict) -> dict:
    """How a stored example becomes the encoder's input."""
    scale = "uint8 / 255 (images in [0,1])" if stored_dtype == torch.uint8 else "as stored (float)"
    from viewmaker_cli.models.encoder import Normalizer

    if isinstance(normalizer, Normalizer):
        return {
            "kind": "per_channel",
            "input": scale,
            "formula": "(x - mean[c]) / std[c]",
            "mean": normalizer.mean.flatten().tolist(),
            "std": normalizer.std.flatten().tolist(),
            "data_meta": data_meta,
        }
    # A front end that changes the input's form (speech waveforms -> z-scored log-mel): vmk's own code.
    return {"kind": type(normalizer).__name__, "input": scale, "data_meta": data_meta}


def encoder_spec(pretrained, splits, layer_dims: dict[str, int]) -> dict:
    """encoder.json: the architecture, the input it takes and where it came from."""
    encoder, config = pretrained.encoder, pretrained.config
    first_conv = encoder.stem[0]
    meta = {k: v for k, v in splits.meta.items() if isinstance(v, (int, float, str, bool))}
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "arch": config["model"]["arch"],
        "class": "ResNetSmall",
        "stem": encoder.stem_kind,
        "width": first_conv.out_channels,
        "in_channels": first_conv.in_channels,
        "dims": encoder.dims,
        "embedding_dim": encoder.head.out_features,
        "input_shape": list(pretrained.input_shape),  # one stored example: [C, H, W] or [C, T]
        "modality": config["modality"]["name"],
        "normalization": normalization(pretrained.normalizer, splits.train_x.dtype, meta),
        "feature_layers": layer_dims,  # name -> length of one example's feature vector
        "weights": "encoder.safetensors",
        "source": {
            "checkpoint": str(Path(pretrained.path).resolve()),
            "global_step": pretrained.global_step,
            "data": config["data"]["name"],
            "views": config["views"]["name"],
            "objective": config["objective"]["name"],
            "budget": config["budget"],
            "seed": config["seed"],
        },
    }


def write_encoder(out: Path, encoder: torch.nn.Module, spec: dict) -> tuple[Path, Path]:
    """encoder.safetensors (the state_dict, spec in its metadata too) and encoder.json, each atomically."""
    from safetensors.torch import save_file

    tensors = {k: v.detach().cpu().contiguous() for k, v in encoder.state_dict().items()}
    weights, sidecar = out / "encoder.safetensors", out / "encoder.json"
    with atomic_output(weights) as tmp:
        save_file(tensors, str(tmp), metadata={"format": FORMAT, "spec": json.dumps(spec)})
    atomic_write_text(sidecar, json.dumps(spec, indent=2) + "\n")
    return weights, sidecar
