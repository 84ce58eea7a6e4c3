"""TensorBoard's HPARAMS dashboard: each run logs its settings with its final metrics, so the runs of a sweep
compare side by side (`vmk tb SWEEP_DIR`, HPARAMS tab); other loggers get them as parameters and metrics.

The dashboard ticks only 5 settings by default: those whose `differs` flag is set come first. That flag lives
in the one "experiment" record TensorBoard reads, which no single run of a sweep can fill in. So a sweep's runs
write only their own settings and metrics, and the sweep's end writes the experiment into the sweep dir, with
`differs` set on the settings its runs vary and the probe metrics as the columns. Without it (a sweep stopped
early, loose runs side by side) TensorBoard works `differs` out itself. A single run writes its own experiment.
"""

from __future__ import annotations

from pathlib import Path

from viewmaker_cli.reporting.aggregate import flat_metrics

# hparam name -> path in the resolved config: what a sweep varies and what a number depends on. The order is the
# dashboard's when nothing differs (a single run): what a sweep usually varies first.
HPARAMS = {
    "views": ("views", "name"),
    "objective": ("objective", "name"),
    "budget": ("budget",),
    "seed": ("seed",),
    "data": ("data", "name"),
    "modality": ("modality", "name"),
    "views.update": ("views", "update"),
    "views.expert": ("views", "expert"),
    "views.lr": ("views", "lr"),
    "model.arch": ("model", "arch"),
    "model.width": ("model", "width"),
    "model.embedding_dim": ("model", "embedding_dim"),
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


def _summaries(settings: dict, metric_names, differs=()):
    """(experiment, session start, session end) summaries; `differs` names the settings the runs vary."""
    from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
    from tensorboard.plugins.hparams import plugin_data_pb2
    from tensorboard.plugins.hparams.metadata import EXPERIMENT_TAG, PLUGIN_DATA_VERSION, PLUGIN_NAME
    from torch.utils.tensorboard.summary import hparams as hparams_summaries

    experiment, start, end = hparams_summaries(settings, {name: 0.0 for name in metric_names})
    data = plugin_data_pb2.HParamsPluginData.FromString(experiment.value[0].metadata.plugin_data.content)
    for info in data.experiment.hparam_infos:
        info.differs = info.name in differs
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(
        plugin_name=PLUGIN_NAME, content=plugin_data_pb2.HParamsPluginData(
            experiment=data.experiment, version=PLUGIN_DATA_VERSION).SerializeToString()))
    return Summary(value=[Summary.Value(tag=EXPERIMENT_TAG, metadata=metadata)]), start, end


def log_hparams(logger, config: dict, metrics: dict, step: int = 0, in_sweep: bool = False) -> None:
    """Write the run's hparams with its final metrics (`hparams/<metric>` at the run's last `step`) to its logger,
    then put everything the logger holds on disk: the run ends here. TensorBoard gets the experiment record too
    unless the run is one of a sweep (the sweep's end writes it)."""
    if logger is None or not hasattr(logger, "log_hyperparams"):
        return
    from viewmaker_cli.training.loggers import close_logger, log_settings

    final = {PREFIX + name: value for name, value in flat_metrics(metrics).items()}
    experiment = getattr(logger, "experiment", None)
    if hasattr(experiment, "_get_file_writer"):  # TensorBoard: the HPARAMS records, with `differs` (see above)
        summaries = _summaries(hparams(config), final)
        writer = experiment._get_file_writer()
        for summary in summaries[1:] if in_sweep else summaries:
            writer.add_summary(summary)
        for name, value in final.items():
            experiment.add_scalar(name, value, step)
    else:
        log_settings(logger, hparams(config), final, step)
    close_logger(logger)  # the last events must be on disk for a sweep's table and TB


def write_sweep_hparams(sweep_dir: Path, records: list[dict]) -> None:
    """The sweep's experiment record in `sweep_dir`: every setting its runs (`records`, their results.json)
    logged, `differs` on those they vary, and the probe metrics as the columns."""
    from torch.utils.tensorboard import SummaryWriter

    records = [r for r in records if isinstance(r.get("config"), dict)]
    if not records:
        return
    settings = [hparams(r["config"]) for r in records]
    names = dict.fromkeys(name for run in settings for name in run)
    differs = {name for name in names if len({repr(run.get(name)) for run in settings}) > 1}
    metrics = sorted({PREFIX + name for r in records for name in flat_metrics(r.get("metrics", {}))})
    writer = SummaryWriter(log_dir=str(sweep_dir))
    try:
        writer._get_file_writer().add_summary(_summaries(settings[0], metrics, differs)[0])
    finally:
        writer.close()
