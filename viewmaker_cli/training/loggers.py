"""`logger=tensorboard|csv|wandb|mlflow`: the run's Lightning logger, and the two things vmk logs that Lightning's
Logger interface has no common call for (a picture, settings beside final metrics). Scalars and probe metrics go
through `log_metrics`, which every logger takes."""

from __future__ import annotations

import importlib.util
import logging
import os
from pathlib import Path

import numpy as np
from torch import Tensor

from viewmaker_cli.config import LOGGERS
from viewmaker_cli.errors import UserError

log = logging.getLogger("vmk")

EXTRAS = {"wandb": "wandb", "mlflow": "mlflow"}  # logger -> the module its optional extra installs
# What a logger cannot take, said once per run.
CANNOT = {"csv": "logger=csv keeps scalars, hparams and probe metrics; it cannot take view grids (images): use tensorboard, wandb or mlflow for them"}


def check_logger(cfg: dict) -> None:
    """Before any data loads: a logger vmk does not know, or one whose package is not installed, in one line."""
    name = cfg["name"]
    if name not in LOGGERS:
        raise UserError(f"logger={name} is not supported (choose from: {', '.join(LOGGERS)})")
    module = EXTRAS.get(name)
    if module and importlib.util.find_spec(module) is None:
        raise UserError(f"logger={name} needs the {module} package: pip install 'vmk[{name}]' (or logger=tensorboard)")


def build_logger(cfg: dict, run_dir: Path, run_name: str):
    """The run's Lightning logger, writing under `run_dir` unless a remote service is configured."""
    check_logger(cfg)
    name = cfg["name"]
    if name in CANNOT:
        log.info(CANNOT[name])
    if name == "tensorboard":
        from lightning.pytorch.loggers import TensorBoardLogger

        return TensorBoardLogger(save_dir=run_dir, name="tb", version="")
    if name == "csv":
        from lightning.pytorch.loggers import CSVLogger

        return CSVLogger(save_dir=run_dir, name="csv", version="")
    if name == "wandb":
        from lightning.pytorch.loggers import WandbLogger

        return WandbLogger(name=run_name, save_dir=str(run_dir), project=cfg["project"], offline=cfg["offline"])
    from lightning.pytorch.loggers import MLFlowLogger

    uri = cfg["tracking_uri"]
    if uri is None:  # a file store in the run dir: no server, no database. MLflow 3 keeps it in maintenance
        # mode and asks for this opt-in; a server or sqlite:///... store is logger.tracking_uri=URI.
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        uri = (run_dir / "mlruns").resolve().as_uri()
    return MLFlowLogger(experiment_name=cfg["project"], run_name=run_name, tracking_uri=uri)


def log_image(logger, tag: str, image: Tensor, step: int) -> None:
    """A [3, H, W] float picture in [0, 1] to the logger (csv: said once at the start, nothing here)."""
    from lightning.pytorch.loggers import MLFlowLogger, TensorBoardLogger, WandbLogger

    if isinstance(logger, TensorBoardLogger):
        logger.experiment.add_image(tag, image, step)
        return
    pixels = (image.clamp(0, 1).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)  # HWC uint8
    if isinstance(logger, WandbLogger):
        logger.log_image(key=tag, images=[pixels], step=step)
    elif isinstance(logger, MLFlowLogger):
        logger.experiment.log_image(logger.run_id, pixels, artifact_file=f"{tag}/step{step:07d}.png")


def log_settings(logger, params: dict, final_metrics: dict, step: int) -> None:
    """The run's settings with its final metrics: TensorBoard's HPARAMS dashboard takes both in one call, the
    others take the settings as parameters and the metrics as metrics."""
    from lightning.pytorch.loggers import TensorBoardLogger

    if isinstance(logger, TensorBoardLogger):
        logger.log_hyperparams(params, final_metrics or None)
        return
    logger.log_hyperparams(params)
    if final_metrics:
        logger.log_metrics(final_metrics, step=step)


def close_logger(logger) -> None:
    """Everything on disk (or sent) before the run returns: a sweep's next job may run in this process."""
    if logger is None:
        return
    logger.save()
    experiment = getattr(logger, "experiment", None)
    if hasattr(experiment, "flush"):  # TensorBoard's writer
        experiment.flush()
    if type(logger).__name__ == "WandbLogger":
        experiment.finish()
    elif type(logger).__name__ == "MLFlowLogger":
        logger.finalize("success")
