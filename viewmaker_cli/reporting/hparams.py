"""TensorBoard's HPARAMS dashboard: each run logs its settings with its final metrics, so the runs of a sweep
compare side by side (`vmk tb SWEEP_DIR`, HPARAMS tab); other loggers get them as parameters and metrics."""

from __future__ import annotations

from viewmaker_cli.reporting.aggregate import flat_metrics

# hparam name -> path in the resolved config: what a sweep varies and what a number depends on.
HPARAMS = {
    "budget": ("budget",),
    "seed": ("seed",),
    "data": ("data", "name"),
    "modality": ("modality", "name"),
    "views": ("views", "name"),
    "views.update": ("views", "update"),
    "views.expert": ("views", "expert"),
    "views.lr": ("views", "lr"),
    "objective": ("objective", "name"),
    "model.arch": ("model", "arch"),
    "model.width": ("model", "width"),
    "optim.lr": ("optim", "lr"),
    "data.batch_size": ("data", "batch_size"),
    "trainer.max_steps": ("trainer", "max_steps"),
    "trainer.max_epochs": ("trainer", "max_epochs"),
    "probe.kind": ("probe", "kind"),
    "probe.layer": ("probe", "layer"),
    "probe.epochs": ("probe", "epochs"),
}
PREFIX = "hparams/"  # the metrics' tags: their own, so they do not add points to the probe/ charts


def hparams(config: dict) -> dict:
    """The HPARAMS of a run: numbers, strings and flags as they are, anything else as text."""
    out = {}
    for name, path in HPARAMS.items():
        value = config
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None:
            out[name] = value if isinstance(value, (bool, int, float, str)) else str(value)
    return out


def log_hparams(logger, config: dict, metrics: dict, step: int = 0) -> None:
    """Write the run's hparams with its final metrics (`hparams/<metric>`) to its logger (TensorBoard: the
    HPARAMS dashboard), then put everything the logger holds on disk: the run ends here."""
    if logger is None or not hasattr(logger, "log_hyperparams"):
        return
    from viewmaker_cli.training.loggers import close_logger, log_settings

    final = {PREFIX + name: value for name, value in flat_metrics(metrics).items()}
    log_settings(logger, hparams(config), final, step)
    close_logger(logger)  # the last events must be on disk for a sweep's table and TB
