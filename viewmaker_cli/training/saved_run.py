"""What `vmk probe`, `vmk views` and `vmk embed` share: the checkpoint's networks and the data to run them on,
the data defaulting to the dataset the checkpoint was pretrained on."""

from __future__ import annotations

from collections.abc import Callable

import torch
from omegaconf import DictConfig, OmegaConf

from viewmaker_cli.errors import UserError


def load_run(cfg: DictConfig, device: torch.device, before_data: Callable[[dict, dict], None] | None = None):
    """(pretrained networks, data config used, splits) for `cfg.ckpt` and `cfg.data` (`data.name` empty: the
    pretraining run's data). `before_data(run config, data config)` checks settings before the data is read;
    UserError when the data cannot feed the checkpoint's encoder."""
    from viewmaker_cli.data.catalog import get_info, load_configured
    from viewmaker_cli.training.pretrained import load_pretrained

    if cfg.data.name:
        get_info(cfg.data.name)  # an unknown name fails before the checkpoint is read
    pretrained = load_pretrained(cfg.ckpt, device)
    config = pretrained.config
    data = OmegaConf.to_container(cfg.data) if cfg.data.name else config["data"]
    if before_data is not None:
        before_data(config, data)
    splits = load_configured(data, config["modality"]["name"])
    expected, found = tuple(pretrained.input_shape), tuple(splits.input_shape)
    if found != expected:
        raise UserError(
            f"ckpt={cfg.ckpt} was trained on inputs of shape {expected} ({config['data']['name']}) and expects "
            f"{expected[0]}-channel inputs of that shape, but data={data['name']} has shape {found}: choose data of the same shape"
        )
    return pretrained, data, splits
