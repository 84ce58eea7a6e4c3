"""`vmk pretrain`: check the config → load data → pretrain with Lightning → checkpoint → probes → results.json + table."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import lightning as L
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from viewmaker_cli.core import slurm
from viewmaker_cli.core.quiet import quiet_lightning
from viewmaker_cli.evaluation.probe_run import probe_with_baseline
from viewmaker_cli.evaluation.settings import check_probe_config
from viewmaker_cli.reporting.console import print_run_table
from viewmaker_cli.reporting.hparams import log_hparams
from viewmaker_cli.reporting.results import write_results
from viewmaker_cli.reporting.sweep_metric import headline
from viewmaker_cli.training import ddp
from viewmaker_cli.training.checkpoint import save_checkpoint
from viewmaker_cli.training.loggers import check_logger
from viewmaker_cli.training.module import PretrainSystem
from viewmaker_cli.training.run_dir import claim
from viewmaker_cli.training.trainer import (
    build_trainer,
    check_writable,
    load_splits,
    make_normalizer,
    resume_from,
    train_batches,
    trainer_kwargs,
)
from viewmaker_cli.validation import check_pretrain

log = logging.getLogger("vmk")


def run(cfg: DictConfig) -> float:
    start = time.perf_counter()
    check_pretrain(cfg)  # cli.precheck ran it before Hydra; a sweep's job composes its own config
    config = OmegaConf.to_container(cfg, resolve=True)  # what everything below the commands takes
    check_logger(config["logger"])
    ddp.check_srun_tasks(config["trainer"])
    if cfg.probe.enabled:  # what needs the data (transfer sets, CIFAR-10-C) fails now, not after pretraining
        check_probe_config(config["probe"], cfg.modality.name, cfg.data.root)
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    # Before the data loads: a rerun in a finished run's dir, or a second process on a live one, stops here.
    claim(run_dir, continues=bool(cfg.resume or cfg.ckpt_path or slurm.restart_count()))
    L.seed_everything(cfg.seed, verbose=False)
    quiet_lightning()

    splits = load_splits(cfg)
    normalizer = make_normalizer(cfg, splits)
    if cfg.deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # cuBLAS needs it for determinism
    batches = train_batches(cfg, splits)
    system = PretrainSystem(config, splits.train_x, normalizer, splits.meta, batches.index_labels(splits.train_y), splits.num_classes,
                            indexed=batches.indexed)
    ckpt_path, first_step = resume_from(cfg, run_dir, splits.input_shape, system.state_dict())
    weights = sum(p.numel() * p.element_size() for p in system.parameters())
    check_writable(run_dir, needed_bytes=4 * weights * (cfg.trainer.keep_checkpoints + 2))
    kwargs = trainer_kwargs(cfg)
    # vmk logs by its own step count (training/module.py); Lightning's interval only gates its own logging and
    # warns when an epoch is shorter than it (sensor quickstart: 20 batches): at most an epoch, same logs.
    kwargs["log_every_n_steps"] = max(1, min(kwargs["log_every_n_steps"], len(batches)))
    log.info(
        "data=%s (%d train, %d test, %s) views=%s objective=%s budget=%s precision=%s%s -> %s",
        splits.name, len(splits.train_y), len(splits.test_y), "x".join(map(str, splits.input_shape)),
        cfg.views.name, cfg.objective.name, cfg.budget, kwargs["precision"],
        f" resuming from {ckpt_path}" if ckpt_path else "", run_dir,
    )
    trainer = build_trainer(cfg, run_dir, kwargs, splits)
    views_lr = cfg.views.lr if system.viewmaker is not None else None
    layout = ddp.plan(trainer, cfg.data.batch_size, cfg.optim.lr, views_lr, cfg.trainer.sync_batchnorm)
    if trainer.is_global_zero:
        log.info(layout)
    # Lightning's DDP re-seeds every rank at setup: seeding here too makes one process draw the same numbers.
    L.seed_everything(cfg.seed, verbose=False)
    batches.to(trainer.strategy.root_device).start_at(first_step)  # the data moves to the device once
    fit_start = time.perf_counter()
    with ddp.relaunchable_argv("pretrain", trainer):
        trainer.fit(system, train_dataloaders=batches, ckpt_path=ckpt_path, weights_only=True)
    system.raise_if_diverged()
    # Time and throughput of what this process trained: a resumed run's earlier steps took their own time.
    train_s = time.perf_counter() - fit_start
    trained_steps = trainer.global_step - first_step
    if not trainer.is_global_zero:  # DDP: rank 0 saves, probes and reports; the others join the save's collectives
        trainer.save_checkpoint(run_dir / "checkpoints" / "last.ckpt", weights_only=False)  # Lightning writes on rank 0 only
        return float("nan")
    checkpoint = save_checkpoint(trainer, run_dir / "checkpoints" / "last.ckpt")

    metrics, protocol = {}, {}
    if cfg.probe.enabled and not splits.labelled:
        log.info("data=%s has no labels: pretrained without a probe", cfg.data.name)
    elif cfg.probe.enabled:
        metrics, protocol = probe_with_baseline(system.encoder, normalizer, splits, config, trainer.logger, view=system.view,
                                                step=trainer.global_step)
    steps = trainer.global_step
    metrics["train_images_per_s"] = trained_steps * cfg.data.batch_size / max(train_s, 1e-9)
    # TensorBoard's HPARAMS tab: settings beside final metrics (a sweep's end writes the sweep's own record)
    log_hparams(trainer.logger, config, metrics, step=steps, in_sweep=HydraConfig.get().mode == RunMode.MULTIRUN)
    wall_s = time.perf_counter() - start
    results = write_results(
        run_dir,
        metrics,
        protocol,
        config,
        wall_s,
        train={"steps": steps, "steps_this_process": trained_steps, "epochs": trainer.current_epoch, "train_s": round(train_s, 2),
               "checkpoint": str(checkpoint),
               "resumed_from": ckpt_path and {"checkpoint": ckpt_path, "step": first_step, "slurm_restarts": slurm.restart_count()}},
        data={"name": splits.name, "source": splits.source, "train": len(splits.train_y), "test": len(splits.test_y)},
    )
    print_run_table(config, metrics, protocol, results, steps=steps)
    return headline(metrics, cfg.sweep_metric)  # what a Hydra sweeper (hydra/sweeper=optuna) optimises
