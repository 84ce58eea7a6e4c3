"""The Lightning side of a pretraining run, everything but the step itself (training/module.py): the data
it trains on, the input normaliser, the checkpoint it resumes from, and the Trainer with its callbacks."""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path

import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint
from omegaconf import DictConfig, OmegaConf

from viewmaker_cli.core import slurm
from viewmaker_cli.core.device import default_precision
from viewmaker_cli.data import Splits
from viewmaker_cli.data.batches import StoredBatches, TrainBatches, WindowBatches
from viewmaker_cli.data.catalog import config_options, get_info, load_configured
from viewmaker_cli.data.speech.frontend import LogMelFrontend
from viewmaker_cli.data.splits import model_space
from viewmaker_cli.errors import UserError
from viewmaker_cli.models.encoder import Normalizer
from viewmaker_cli.training.checkpoint import AtomicCheckpointIO, check_resumable, load_checkpoint
from viewmaker_cli.training.knn_monitor import knn_monitors
from viewmaker_cli.training.loggers import build_logger
from viewmaker_cli.training.preemption import Preemption, cluster_plugins
from viewmaker_cli.training.progress_bar import StepProgressBar
from viewmaker_cli.training.view_grid import ViewGridLogger


def data_options(cfg: DictConfig) -> dict:
    return config_options(OmegaConf.to_container(cfg.data), cfg.modality.name)


def load_splits(cfg: DictConfig) -> Splits:
    splits = load_configured(OmegaConf.to_container(cfg.data), cfg.modality.name)
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


def resume_from(cfg: DictConfig, run_dir: Path, input_shape: tuple[int, ...], expected: dict | None = None) -> tuple[str | None, int]:
    """The checkpoint to continue from (checked to fit this run and, when given, `expected`: the new system's
    state_dict) and its global step, the first batch the resumed run trains on; (None, 0) for a fresh run.
    A job SLURM started again continues from its run dir's last checkpoint when there is one (saved on the
    signal that stopped it, or the newest periodic one)."""
    last = run_dir / "checkpoints" / "last.ckpt"
    if slurm.restart_count() and last.is_file():
        path = str(last)
    else:
        path = cfg.ckpt_path or (str(last) if cfg.resume else None)
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
    if expected is not None:
        check_resumable(checkpoint, path, expected)
    return path, checkpoint["global_step"]


def trainer_kwargs(cfg: DictConfig) -> dict:
    t = cfg.trainer
    precision = t.precision or default_precision(t.accelerator)
    return dict(
        max_epochs=t.max_epochs,
        max_steps=t.max_steps,
        precision=precision,
        devices=t.devices,
        num_nodes=t.num_nodes,
        accelerator=t.accelerator,
        log_every_n_steps=t.log_every_n_steps,
        deterministic=cfg.deterministic,
        benchmark=None if cfg.deterministic else True,  # cuDNN autotuning: the batch shape never changes
        # DDP: every rank walks the same batch order and takes its rows of each global batch (data/batches.py).
        strategy=t.strategy,
        sync_batchnorm=t.sync_batchnorm,
        use_distributed_sampler=False,
    )


def build_trainer(cfg: DictConfig, run_dir: Path, kwargs: dict, splits: Splits) -> L.Trainer:
    """The run's Trainer: its logger (TensorBoard under the run dir by default, logger=...), atomic checkpoints every N steps and at the end
    (the newest `keep_checkpoints` kept), view grids, a progress bar over the steps to run; a checkpoint and a stop after the step
    on Ctrl-C or SIGTERM, or under SLURM on the signal SLURM sends before it stops the job (preemption.py)."""
    return L.Trainer(
        **kwargs,
        default_root_dir=run_dir,
        logger=build_logger(OmegaConf.to_container(cfg.logger), run_dir, run_dir.name),
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
            *knn_monitors(OmegaConf.to_container(cfg.probe), splits, cfg.seed),
            StepProgressBar(),
            Preemption(run_dir / "checkpoints" / "last.ckpt", slurm=slurm.in_job()),
        ],
        plugins=[AtomicCheckpointIO(), *cluster_plugins()],
        enable_model_summary=False,
        num_sanity_val_steps=0,
    )
