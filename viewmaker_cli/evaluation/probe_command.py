"""`vmk probe ckpt=PATH`: probes of a saved encoder (every kind of `probe`), with the pretraining run's data by default."""

from __future__ import annotations

import time
from pathlib import Path

import lightning as L
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from viewmaker_cli.core.device import accelerator_device
from viewmaker_cli.data import load_dataset
from viewmaker_cli.data.registry import config_options
from viewmaker_cli.errors import UserError
from viewmaker_cli.evaluation.probe_run import probe_with_baseline
from viewmaker_cli.evaluation.settings import check_probe_config
from viewmaker_cli.reporting.console import print_run_table
from viewmaker_cli.reporting.results import write_results
from viewmaker_cli.training.pretrained import load_pretrained


def run(cfg: DictConfig) -> dict:
    start = time.perf_counter()
    if not cfg.ckpt:
        raise UserError("no checkpoint given: vmk probe ckpt=PATH (e.g. outputs/.../checkpoints/last.ckpt)")
    device = accelerator_device(cfg.trainer.accelerator)
    pretrained = load_pretrained(cfg.ckpt, device)
    config = pretrained.config
    data = OmegaConf.to_container(cfg.data) if cfg.data.name else config["data"]
    check_probe_config(cfg.probe, config["modality"]["name"], data["root"])
    L.seed_everything(cfg.seed, verbose=False)
    splits = load_dataset(data["name"], root=data["root"], download=data["download"], pad_to=data["pad_to"], options=config_options(data, config["modality"]["name"]))
    if not splits.labelled:
        raise UserError(f"data={data['name']} has no labels: a probe needs labelled data (give a file with 'y')")
    expected = pretrained.input_shape
    if splits.input_shape[0] != expected[0]:
        raise UserError(
            f"ckpt={cfg.ckpt} expects {expected[0]}-channel inputs but data={data['name']} has {splits.input_shape[0]} channels"
        )
    if tuple(splits.input_shape) != expected:
        raise UserError(
            f"ckpt={cfg.ckpt} was trained on inputs of shape {expected}, data={data['name']} has {tuple(splits.input_shape)}"
        )

    # The probe protocol and seed come from this command; the architecture, modality and views from the checkpoint.
    probe_cfg = OmegaConf.create({
        "probe": OmegaConf.to_container(cfg.probe), "seed": cfg.seed, "model": config["model"],
        "modality": config["modality"], "views": config["views"], "data": data,
    })
    metrics, protocol = probe_with_baseline(pretrained.encoder, pretrained.normalizer, splits, probe_cfg, view=pretrained.view)
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    resolved = OmegaConf.to_container(cfg, resolve=True)
    results = write_results(
        run_dir,
        metrics,
        protocol,
        {**config, "probe": resolved["probe"], "data": data},
        time.perf_counter() - start,
        checkpoint={"path": str(Path(cfg.ckpt).resolve()), "global_step": pretrained.global_step},
        data={"name": splits.name, "source": splits.source, "train": len(splits.train_y), "test": len(splits.test_y)},
        probe_command=resolved,
    )
    print_run_table({**config, "data": data}, metrics, protocol, results)
    return metrics
