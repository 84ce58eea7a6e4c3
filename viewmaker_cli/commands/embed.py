"""`vmk embed ckpt=PATH [data=NAME] [layer=pooled|prepool|embedding]`: the frozen encoder's features of
every example, one `{split}.npz` per split (x [N, D] float32, y [N] int64, class_names), and the encoder as
`encoder.safetensors` + `encoder.json` (encoder_file.py), and a learned viewmaker as `viewmaker.safetensors` +
`viewmaker.json` (views/viewmaker_file.py), in the command's run dir (or out=)."""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig

from viewmaker_cli.core.device import pick_device
from viewmaker_cli.validation import EMBED_LAYERS, check_embed


def features(pretrained, x, layer: str, batch_size: int, description: str | None = None):
    """Frozen features [N, D] float32 on the CPU, in eval mode and batches (the probe's embedding code);
    `description`: show its progress."""
    import torch

    from viewmaker_cli.evaluation.linear_probe import embed

    if layer == "embedding":  # the head on the pooled features is the encoder's forward pass
        with torch.no_grad():
            pooled = embed(pretrained.encoder, pretrained.normalizer, x, "pooled", batch_size, description)
            return pretrained.encoder.head(pooled).float().cpu()
    return embed(pretrained.encoder, pretrained.normalizer, x, layer, batch_size, description).cpu()


def layer_dims(pretrained, x) -> dict[str, int]:
    """Length of each layer's feature vector, measured on one example (front ends change the input's shape)."""
    return {layer: features(pretrained, x[:1], layer, 1).shape[1] for layer in EMBED_LAYERS}


def write_viewmaker_of(out: Path, pretrained, source: dict) -> tuple[Path, ...]:
    """viewmaker.safetensors + viewmaker.json (Viewmaker.from_pretrained reads them) when the run trained one."""
    from viewmaker_cli.views.viewmaker import Viewmaker
    from viewmaker_cli.views.viewmaker_file import viewmaker_spec, write_viewmaker

    viewmaker = pretrained.view if isinstance(pretrained.view, Viewmaker) else getattr(pretrained.view, "viewmaker", None)
    if viewmaker is None:  # expert or noise views: nothing was learned
        return ()
    return write_viewmaker(out, viewmaker, viewmaker_spec(pretrained.config, pretrained.input_shape, source))


def run(cfg: DictConfig) -> dict:
    check_embed(cfg)  # as cli.precheck did, before torch
    device = pick_device(cfg.device)
    import numpy as np
    from hydra.core.hydra_config import HydraConfig

    from viewmaker_cli.core.atomic import atomic_output
    from viewmaker_cli.export.encoder_file import encoder_spec, write_encoder
    from viewmaker_cli.training.saved_run import load_run

    pretrained, data, splits = load_run(cfg, device)
    arrays = {}  # everything is computed before the first file is written
    for split in cfg.splits:
        x, y = (splits.train_x, splits.train_y) if split == "train" else (splits.test_x, splits.test_y)
        x = features(pretrained, x, cfg.layer, cfg.batch_size, f"embedding {split} ({cfg.layer})").numpy()
        arrays[split] = (x, y.cpu().numpy().astype(np.int64))
    dim = next(iter(arrays.values()))[0].shape[1]
    spec = encoder_spec(pretrained, splits, layer_dims(pretrained, splits.test_x))
    spec["embeddings"] = {
        "layer": cfg.layer, "dim": dim, "data": data["name"], "class_names": list(splits.class_names),
        "files": {split: f"{split}.npz" for split in arrays},
        "examples": {split: len(y) for split, (_, y) in arrays.items()},
        "mode": "eval (frozen BatchNorm statistics), no views",
    }

    out = Path(cfg.out).expanduser() if cfg.out else Path(HydraConfig.get().runtime.output_dir)
    names = np.array(list(splits.class_names), dtype=np.str_)  # plain strings: np.load needs no pickle
    for split, (x, y) in arrays.items():
        with atomic_output(out / f"{split}.npz") as tmp, open(tmp, "wb") as f:
            np.savez(f, x=x, y=y, class_names=names)
    weights, sidecar = write_encoder(out, pretrained.encoder, spec)
    files = f"{weights.name} + {sidecar.name}" + "".join(f" + {p.name}" for p in write_viewmaker_of(out, pretrained, spec["source"]))
    sizes = ", ".join(f"{split} {a[0].shape[0]}x{dim}" for split, a in arrays.items())
    print(f"embeddings ({cfg.layer}, {sizes}) and {files} in {out}")
    return spec
