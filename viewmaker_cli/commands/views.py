"""`vmk views ckpt=PATH`: a PNG grid and an animated GIF of a saved run's views of a few inputs, plus a
small JSON that says which inputs and what the columns are. Written into the command's run dir (or out=)."""

from __future__ import annotations

import json
from pathlib import Path

from omegaconf import DictConfig

from viewmaker_cli.core.device import pick_device
from viewmaker_cli.validation import check_views


def run(cfg: DictConfig) -> dict:
    check_views(cfg)  # as cli.precheck did, before torch
    device = pick_device(cfg.device)
    import torch
    from hydra.core.hydra_config import HydraConfig

    from viewmaker_cli.core.atomic import atomic_output, atomic_write_text
    from viewmaker_cli.data.splits import model_space
    from viewmaker_cli.export.view_figure import annotate, drawable, figure_grids, grid_image, save_gif, save_png
    from viewmaker_cli.models.encoder import Normalizer
    from viewmaker_cli.training.saved_run import load_run

    pretrained, data, splits = load_run(cfg, device)
    pool_x, pool_y = (splits.test_x, splits.test_y) if cfg.split == "test" else (splits.train_x, splits.train_y)
    index = torch.randperm(len(pool_x), generator=torch.Generator().manual_seed(cfg.seed))[: cfg.n]
    x = model_space(pool_x[index]).to(device)

    modality = pretrained.config["modality"]["name"]
    # A front end that changes the shape (waveforms -> log-mel) is drawn through, so that speech looks like speech.
    front_end = not isinstance(pretrained.normalizer, Normalizer)

    def prepare(t):
        return drawable(pretrained.normalizer(t) if front_end else t, modality)

    grids, delta_max = figure_grids(pretrained.view, x, cfg.num_views, cfg.frames, cfg.seed, prepare)
    headers = ["original", *(f"view {k + 1}" for k in range(cfg.num_views)), "|delta| of view 1"]
    cmap = None if modality == "image" else cfg.cmap
    images = [annotate(grid_image(g, len(index), len(headers), cfg.tile_px, cmap, isotropic=modality == "image"),
                       headers, delta_max) for g in grids]

    out = Path(cfg.out).expanduser() if cfg.out else Path(HydraConfig.get().runtime.output_dir)
    png, gif = out / "views.png", out / "views.gif"
    with atomic_output(png) as tmp:
        save_png(images[0], tmp)
    with atomic_output(gif) as tmp:
        save_gif(images, tmp, cfg.frame_ms)
    names = splits.class_names
    rows = [{"index": i, "label": y, "class": names[y] if 0 <= y < len(names) else None}
            for i, y in zip(index.tolist(), pool_y[index].tolist())]
    drawn = pretrained.normalizer(x[:1]).shape[1:] if front_end else x.shape[1:]
    record = {
        "checkpoint": str(Path(cfg.ckpt).resolve()),
        "global_step": pretrained.global_step,
        "views": pretrained.config["views"]["name"],
        "budget": pretrained.config["budget"],
        "data": data["name"],
        "split": cfg.split,
        "rows": rows,
        "columns": headers,
        "delta_max": delta_max,  # the |delta| of the heat maps' brightest colour: one scale for all rows and frames
        "drawn": drawing(modality, front_end, tuple(drawn)),
        "frames": cfg.frames,
        "frame_ms": cfg.frame_ms,
        "seed": cfg.seed,
        "files": {"png": png.name, "gif": gif.name},
    }
    atomic_write_text(out / "views.json", json.dumps(record, indent=2) + "\n")
    print(f"views of {len(index)} {cfg.split} inputs ({record['views']} views): {png}, {gif} ({cfg.frames} frames)")
    return record


def drawing(modality: str, front_end: bool, shape: tuple[int, ...]) -> str:
    """How the inputs were drawn, in words (recorded in views.json); see view_figure.drawable."""
    if modality == "image":
        return "images as stored"
    what = ["log-mels of the front end" if front_end else "inputs as stored"]
    if len(shape) == 2:
        what.append("as a channels x time map")
    else:
        what += [f"mean over the {shape[0]} channels"] * (shape[0] > 1) + ["low frequencies at the bottom"]
    return ", ".join(what + ["with a colormap"])
