"""`vmk probe ckpt=PATH`: probes of a saved encoder (every kind of `probe`), with the pretraining run's data by default."""

from __future__ import annotations

import time
from pathlib import Path

import lightning as L
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from viewmaker_cli.core.device import accelerator_device
from viewmaker_cli.errors import UserError
from viewmaker_cli.evaluation.probe_run import probe_with_baseline
from viewmaker_cli.evaluation.settings import check_probe_config
from viewmaker_cli.reporting.console import print_run_table
from viewmaker_cli.reporting.results import write_results
from viewmaker_cli.training.saved_run import load_run
from viewmaker_cli.validation import check_probe_command


def run(cfg: DictConfig) -> dict:
    start = time.perf_counter()
    check_probe_command(cfg)  # as cli.precheck did
    resolved = OmegaConf.to_container(cfg, resolve=True)
    device = accelerator_device(cfg.trainer.accelerator)

    def check_probe(config: dict, data: dict) -> None:  # a probe setting a user got wrong fails before the data is read
        check_probe_config(resolved["probe"], config["modality"]["name"], data["root"])

    pretrained, data, splits = load_run(cfg, device, before_data=check_probe)
    config = pretrained.config
    if not splits.labelled:
        raise UserError(f"data={data['name']} has no labels: a probe needs labelled data (give a file with 'y')")
    L.seed_everything(cfg.seed, verbose=False)

    # The probe protocol, seed and device come from this command; the architecture, modality and views from the checkpoint.
    run_config = {**config, "probe": resolved["probe"], "data": data}
    probe_config = {**run_config, "seed": cfg.seed, "trainer": resolved["trainer"]}
    metrics, protocol = probe_with_baseline(pretrained.encoder, pretrained.normalizer, splits, probe_config, view=pretrained.view)
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    results = write_results(
        run_dir,
        metrics,
        protocol,
        run_config,
        time.perf_counter() - start,
        checkpoint={"path": str(Path(cfg.ckpt).resolve()), "global_step": pretrained.global_step},
        data={"name": splits.name, "source": splits.source, "train": len(splits.train_y), "test": len(splits.test_y)},
        probe_command=resolved,
    )
    print_run_table({**config, "data": data}, metrics, protocol, results, steps=pretrained.global_step)
    return metrics
