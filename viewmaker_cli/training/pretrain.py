"""`vmk pretrain`: load data → pretrain with Lightning → checkpoint → linear probes → results.json + table."""

from __future__ import annotations

import functools
import logging
import os
import shutil
import time
from pathlib import Path

import lightning as L
from hydra.core.hydra_config import HydraConfig
from lightning.pytorch.callbacks import ModelCheckpoint, RichProgressBar
from lightning.pytorch.loggers import TensorBoardLogger
from omegaconf import DictConfig, OmegaConf

from viewmaker_cli.core.device import default_precision
from viewmaker_cli.core.quiet import quiet_lightning
from viewmaker_cli.data import Splits, load_dataset
from viewmaker_cli.data.batches import StoredBatches, TrainBatches, WindowBatches
from viewmaker_cli.data.catalog import config_options, get_info
from viewmaker_cli.data.speech.frontend import LogMelFrontend
from viewmaker_cli.data.splits import model_space
from viewmaker_cli.errors import UserError
from viewmaker_cli.evaluation.kinds import KINDS
from viewmaker_cli.evaluation.probe_run import probe_with_baseline
from viewmaker_cli.evaluation.settings import check_probe_config
from viewmaker_cli.models.encoder import ARCHS, Normalizer
from viewmaker_cli.models.resnet import FEATURE_LAYERS
from viewmaker_cli.objectives.table import OBJECTIVES
from viewmaker_cli.reporting.console import print_run_table
from viewmaker_cli.reporting.hparams import log_hparams
from viewmaker_cli.reporting.results import write_results
from viewmaker_cli.training import ddp
from viewmaker_cli.training.checkpoint import AtomicCheckpointIO, load_checkpoint, save_checkpoint
from viewmaker_cli.training.module import PretrainSystem
from viewmaker_cli.training.view_grid import ViewGridLogger
from viewmaker_cli.views.viewmaker import NORMS

log = logging.getLogger("vmk")

SUPPORTED = {
    "views.name": ("learned", "expert", "combined", "noise"),
    "views.update": ("alternating", "simultaneous"),
    "views.norm": NORMS,
    "objective.name": tuple(OBJECTIVES),
    "model.arch": tuple(ARCHS),
    "probe.layer": FEATURE_LAYERS,
    "probe.kind": KINDS,
    "trainer.strategy": ("auto", "ddp"),
    "trainer.compile": ("auto", True, False),
}


def validate(cfg: DictConfig) -> None:
    """Reject values Hydra's types cannot: one line naming the key, the value and what is allowed."""
    if not cfg.budget > 0:
        raise UserError(f"budget must be a positive number (the mean |delta| per example), got {cfg.budget}")
    for key, allowed in SUPPORTED.items():
        value = OmegaConf.select(cfg, key)
        if value not in allowed:
            raise UserError(f"{key}={value} is not supported (choose from: {', '.join(map(str, allowed))})")
    if cfg.data.batch_size < 2:
        raise UserError(f"data.batch_size must be at least 2 (contrastive views need negatives), got {cfg.data.batch_size}")


def data_options(cfg: DictConfig) -> dict:
    return config_options(OmegaConf.to_container(cfg.data), cfg.modality.name)


def load_splits(cfg: DictConfig) -> Splits:
    splits = load_dataset(
        cfg.data.name, root=cfg.data.root, download=cfg.data.download, pad_to=cfg.data.pad_to,
        options=data_options(cfg),
    )
    if splits.modality != cfg.modality.name:
        raise UserError(
            f"data={cfg.data.name} is {splits.modality} data but modality={cfg.modality.name}: "
            f"use modality={splits.modality} or another dataset"
        )
    if splits.train_x.shape[0] < cfg.data.batch_size:
        raise UserError(
            f"data={cfg.data.name} has {splits.train_x.shape[0]} training examples, fewer than one batch "
            f"(data.batch_size={cfg.data.batch_size}): lower data.batch_size"
        )
    return splits


def train_batches(cfg: DictConfig, splits: Splits) -> TrainBatches:
    """What the training step is handed: the prepared examples in the run's order, or, for window datasets
    (PAMAP2), fresh windows drawn from the recordings through the dataset's sampler."""
    sampler = get_info(cfg.data.name).sampler
    if sampler is None:
        return StoredBatches(splits.train_x, cfg.data.batch_size, cfg.seed)
    factory = functools.partial(sampler, cfg.data.root, seed=cfg.seed, splits=splits, options=data_options(cfg))
    return WindowBatches(factory, cfg.data.batch_size, cfg.seed, cfg.data.windows_per_epoch)


def make_normalizer(cfg: DictConfig, splits: Splits) -> Normalizer | LogMelFrontend:
    """Images: per-channel statistics of the training set, applied after the viewmaker (the authors use
    fixed CIFAR statistics for CIFAR). Speech stored as waveforms: the log-mel front end with the
    dataset's z-score. Other modalities arrive z-scored: identity."""
    channels, dims = splits.train_x.shape[1], splits.train_x.ndim - 2
    if splits.meta.get("waveform"):
        return LogMelFrontend.from_meta(splits.meta)
    if cfg.modality.normalize != "after":
        return Normalizer.identity(channels, dims)
    return Normalizer.of(model_space(splits.train_x))


def check_writable(run_dir: Path, needed_bytes: int) -> None:
    """Fail before training, not after hours of it, when checkpoints cannot be written."""
    probe = run_dir / f".vmk-write-test.{os.getpid()}"  # DDP ranks check the same dir at once
    try:
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as error:
        raise UserError(f"cannot write to the output dir {run_dir} ({error.strerror}); choose another with hydra.run.dir=DIR") from None
    free = shutil.disk_usage(run_dir).free
    if free < needed_bytes:
        raise UserError(
            f"only {free / 2**20:.0f} MiB free under {run_dir}, checkpoints need about {needed_bytes / 2**20:.0f} MiB; "
            "free some space or choose another dir with hydra.run.dir=DIR"
        )


def resume_from(cfg: DictConfig, run_dir: Path, input_shape: tuple[int, ...]) -> tuple[str | None, int]:
    """The checkpoint to continue from (checked to fit this run) and its global step, the first batch the
    resumed run trains on; (None, 0) for a fresh run."""
    path = cfg.ckpt_path or (str(run_dir / "checkpoints" / "last.ckpt") if cfg.resume else None)
    if path is None:
        return None, 0
    if cfg.resume and not cfg.ckpt_path and not Path(path).is_file():
        raise UserError(f"resume=true but {path} does not exist; pass the old run's dir as hydra.run.dir=DIR or use ckpt_path=FILE")
    checkpoint = load_checkpoint(path)
    saved = checkpoint["vmk"]
    if tuple(saved["input_shape"]) != tuple(input_shape):
        raise UserError(
            f"ckpt {path} was trained on inputs of shape {tuple(saved['input_shape'])} "
            f"({saved['config']['data']['name']}), but data={cfg.data.name} has shape {tuple(input_shape)}"
        )
    for key in ("modality", "model"):
        if saved["config"][key] != OmegaConf.to_container(cfg[key]):
            raise UserError(f"ckpt {path} has {key}={saved['config'][key]}, this run has {key}={OmegaConf.to_container(cfg[key])}")
    return path, checkpoint["global_step"]


def trainer_kwargs(cfg: DictConfig) -> dict:
    t = cfg.trainer
    precision = t.precision or default_precision(t.accelerator)
    return dict(
        max_epochs=t.max_epochs,
        max_steps=t.max_steps,
        precision=precision,
        devices=t.devices,
        accelerator=t.accelerator,
        log_every_n_steps=t.log_every_n_steps,
        deterministic=cfg.deterministic,
        benchmark=None if cfg.deterministic else True,  # cuDNN autotuning: the batch shape never changes
        # DDP: every rank walks the same batch order and takes its rows of each global batch (data/batches.py).
        strategy=t.strategy,
        sync_batchnorm=t.sync_batchnorm,
        use_distributed_sampler=False,
    )


def run(cfg: DictConfig) -> dict:
    start = time.perf_counter()
    validate(cfg)
    config = OmegaConf.to_container(cfg, resolve=True)  # what everything below the commands takes
    if cfg.probe.enabled:  # a probe setting a user got wrong fails now, not after pretraining
        check_probe_config(config["probe"], cfg.modality.name, cfg.data.root)
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    L.seed_everything(cfg.seed, verbose=False)
    quiet_lightning()

    splits = load_splits(cfg)
    normalizer = make_normalizer(cfg, splits)
    if cfg.deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # cuBLAS needs it for determinism
    batches = train_batches(cfg, splits)
    system = PretrainSystem(config, splits.train_x, normalizer, splits.meta, splits.train_y, splits.num_classes,
                            indexed=batches.indexed)
    ckpt_path, first_step = resume_from(cfg, run_dir, splits.input_shape)
    weights = sum(p.numel() * p.element_size() for p in system.parameters())
    check_writable(run_dir, needed_bytes=4 * weights * (cfg.trainer.keep_checkpoints + 2))
    kwargs = trainer_kwargs(cfg)
    log.info(
        "data=%s (%d train, %d test, %s) views=%s objective=%s budget=%s precision=%s%s -> %s",
        splits.name, len(splits.train_y), len(splits.test_y), "x".join(map(str, splits.input_shape)),
        cfg.views.name, cfg.objective.name, cfg.budget, kwargs["precision"],
        f" resuming from {ckpt_path}" if ckpt_path else "", run_dir,
    )
    trainer = L.Trainer(
        **kwargs,
        default_root_dir=run_dir,
        logger=TensorBoardLogger(save_dir=run_dir, name="tb", version=""),
        callbacks=[
            ModelCheckpoint(
                dirpath=run_dir / "checkpoints",
                filename="step{step:07d}",
                auto_insert_metric_name=False,
                monitor="step",
                mode="max",
                save_top_k=cfg.trainer.keep_checkpoints,
                every_n_train_steps=cfg.trainer.checkpoint_every_n_steps,
                save_last=True,
            ),
            ViewGridLogger(cfg.trainer.image_every_n_steps, splits.train_x),
            RichProgressBar(),
        ],
        plugins=[AtomicCheckpointIO()],
        enable_model_summary=False,
        num_sanity_val_steps=0,
    )
    views_lr = cfg.views.lr if system.viewmaker is not None else None
    layout = ddp.plan(trainer, cfg.data.batch_size, cfg.optim.lr, views_lr, cfg.trainer.sync_batchnorm)
    if trainer.is_global_zero:
        log.info(layout)
    # Lightning's DDP re-seeds every rank at setup: seeding here too makes one process draw the same numbers.
    L.seed_everything(cfg.seed, verbose=False)
    batches.to(trainer.strategy.root_device).start_at(first_step)  # the data moves to the device once
    with ddp.relaunchable_argv("pretrain", trainer.world_size):
        trainer.fit(system, train_dataloaders=batches, ckpt_path=ckpt_path, weights_only=True)
    system.raise_if_diverged()
    train_s = time.perf_counter() - start
    if not trainer.is_global_zero:  # DDP: rank 0 saves, probes and reports; the others join the save's collectives
        trainer.save_checkpoint(run_dir / "checkpoints" / "last.ckpt", weights_only=False)  # Lightning writes on rank 0 only
        return {}
    checkpoint = save_checkpoint(trainer, run_dir / "checkpoints" / "last.ckpt")

    metrics, protocol = {}, {}
    if cfg.probe.enabled and not splits.labelled:
        log.info("data=%s has no labels: pretrained without a probe", cfg.data.name)
    elif cfg.probe.enabled:
        metrics, protocol = probe_with_baseline(system.encoder, normalizer, splits, config, trainer.logger, view=system.view)
    steps = trainer.global_step
    metrics["train_images_per_s"] = steps * cfg.data.batch_size / max(train_s, 1e-9)
    log_hparams(trainer.logger, config, metrics)  # TensorBoard's HPARAMS tab: settings beside final metrics
    wall_s = time.perf_counter() - start
    results = write_results(
        run_dir,
        metrics,
        protocol,
        config,
        wall_s,
        train={"steps": steps, "epochs": trainer.current_epoch, "train_s": round(train_s, 2), "checkpoint": str(checkpoint)},
        data={"name": splits.name, "source": splits.source, "train": len(splits.train_y), "test": len(splits.test_y)},
    )
    print_run_table(config, metrics, protocol, results)
    return metrics
