"""Probe a pretrained encoder with every requested kind (few labels, transfer and robustness included) and,
with the same protocols, an untrained encoder of the same architecture and initial weights.

Metric names: `probe_top1` is `probe.kind`'s top-1 on the held-out split; every kind of `probe.also` adds
`<kind>_top1`; the untrained encoder's are `untrained_<...>`; transfer datasets `transfer/<name>/<...>`;
robustness `corruption/...` and `cifar10c/...`. results.json's `protocol.metrics` names, for every metric,
the kind, data, split and encoder that produced it; `protocol.kinds` holds each kind's settings.
"""

from __future__ import annotations

import logging

import torch
from torch import nn

from viewmaker_cli.core.device import accelerator_device
from viewmaker_cli.data import Splits
from viewmaker_cli.errors import UserError
from viewmaker_cli.evaluation import robustness
from viewmaker_cli.evaluation.few_label import stratified_subset
from viewmaker_cli.evaluation.kinds import Encoded, Task, evaluate, fit
from viewmaker_cli.evaluation.settings import kinds, protocol_for, views_description
from viewmaker_cli.evaluation.transfer import load_transfer
from viewmaker_cli.models.encoder import build_encoder

log = logging.getLogger("vmk")


def untrained_encoder(config: dict, in_channels: int, seed: int, dims: int = 2) -> nn.Module:
    """The encoder exactly as pretraining initialised it (same seed, built first), never trained."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build_encoder(config, in_channels, dims)


def probe_device(cfg: dict, encoder: nn.Module) -> torch.device:
    """The GPU when the run may use one (Lightning hands the model back on the CPU after fit), else where
    the encoder is."""
    device = accelerator_device(cfg.get("trainer", {}).get("accelerator"))
    return device if device.type == "cuda" else next(encoder.parameters()).device


def metric(kind: str, primary: str, prefix: str = "") -> str:
    return f"{prefix}{'probe' if kind == primary else kind}_top1"


def task_of(splits: Splits, fraction: float, seed: int, key: str = "") -> Task:
    keep = stratified_subset(splits.train_y, fraction, seed)
    return Task(splits.name, splits.train_x[keep], splits.train_y[keep], splits.test_x, splits.test_y, splits.num_classes, key)


class ProbeRun:
    """One probe command's worth of probes: the metrics and, for each, where it came from."""

    def __init__(self, cfg: dict, view: nn.Module | None):
        self.cfg, self.probe, self.view = cfg, cfg["probe"], view
        self.modality = cfg["modality"]["name"]
        self.views = views_description(cfg)
        self.kinds = kinds(self.probe)
        self.metrics: dict[str, float] = {}
        self.sources: dict[str, dict] = {}

    def record(self, name: str, value: float, **source) -> None:
        self.metrics[name] = value
        self.sources[name] = source

    def run_kinds(self, encoded: Encoded, task: Task, prefix: str = "", encoder: str = "pretrained", transfer: bool = False) -> dict:
        """Every kind on `task`; returns the fitted probes by kind."""
        fitted = {}
        for kind in self.kinds:
            protocol = protocol_for(kind, self.probe, self.modality, self.views, transfer)
            description = f"{kind} probe ({encoded.name}, {task.key}, {len(task.train_y)} labels)"
            fitted[kind] = fit(kind, protocol, encoded, task, self.view, self.cfg["seed"], description)
            name = metric(kind, self.kinds[0], prefix)
            top1 = evaluate(fitted[kind], encoded, task, description)
            self.record(name, top1, kind=kind, data=task.name, split="test", encoder=encoder)
            if name.endswith("probe_top1") and fitted[kind].train_top1 is not None and encoder == "pretrained":
                self.record(name.replace("probe_top1", "probe_train_top1"), fitted[kind].train_top1,
                            kind=kind, data=task.name, split="train (labelled part, clean)", encoder=encoder)
        return fitted


def probe_with_baseline(
    encoder: nn.Module, normalizer: nn.Module, splits: Splits, cfg: dict, logger=None, view: nn.Module | None = None,
    step: int = 0,
) -> tuple[dict, dict]:
    """metrics (percent) and the protocol that made them. `cfg`, the run's resolved config (a plain dict), has
    probe, seed, model, modality, views, data (root) and optionally trainer (accelerator); `view` is the
    pretraining run's view module (needed by probe.kind=paper with views); `step`, the training step the encoder
    reached, is where the metrics go in TensorBoard (beside the training curves, not at step 0)."""
    probe, seed = cfg["probe"], cfg["seed"]
    if probe["cifar10c_root"] and tuple(splits.input_shape) != (3, 32, 32):
        raise UserError(
            f"probe.cifar10c_root needs an encoder of 3x32x32 images probed on CIFAR-10; data={splits.name} has "
            f"shape {tuple(splits.input_shape)} (use data=cifar10)"
        )
    device = probe_device(cfg, encoder)
    encoder, normalizer = encoder.to(device), normalizer.to(device)
    view = view.to(device) if view is not None else None
    run = ProbeRun(cfg, view)
    task = task_of(splits, probe["label_fraction"], seed)
    encoded = Encoded(encoder, normalizer)
    fitted = run.run_kinds(encoded, task)
    primary = fitted[run.kinds[0]]
    extra: dict = {}

    if probe["corruptions"]:
        metrics, extra["corruptions"] = robustness.generated_corruptions(
            primary.predictor(encoded), splits.test_x, splits.test_y, probe["severities"], seed, device,
            probe["corruption_examples"],
        )
        run.metrics.update(metrics)
        run.sources["corruption/*"] = dict(kind=primary.kind, data=f"{splits.name}, corrupted", split="test", encoder="pretrained")
    if probe["cifar10c_root"]:
        metrics, extra["cifar10c"] = robustness.cifar10c(
            primary.predictor(encoded), probe["cifar10c_root"], splits.test_x, splits.test_y, probe["severities"]
        )
        run.metrics.update(metrics)
        run.sources["cifar10c/*"] = dict(kind=primary.kind, data="CIFAR-10-C", split="all", encoder="pretrained")

    if probe["transfer"]:
        extra["transfer"] = {}
        root = probe["transfer_root"] if probe["transfer_root"] is not None else cfg["data"]["root"]
        for name in probe["transfer"]:
            other, record = load_transfer(name, run.modality, tuple(splits.input_shape), root, device)
            run.run_kinds(encoded, task_of(other, probe["label_fraction"], seed, f"transfer/{name}"), f"transfer/{name}/", transfer=True)
            record["protocols"] = {k: protocol_for(k, probe, run.modality, run.views, True).as_dict() for k in run.kinds}
            extra["transfer"][name] = record
            encoded.forget(f"transfer/{name}/")

    if probe["baseline"]:
        channels, dims = normalizer.encoder_input(splits.train_x.shape[1], splits.train_x.ndim - 2)
        baseline = untrained_encoder(cfg, channels, seed, dims).to(device)
        run.run_kinds(Encoded(baseline, normalizer, "untrained"), task, "untrained_", encoder="untrained (same initial weights)")

    if logger is not None:
        logger.log_metrics({f"probe/{k}": v for k, v in run.metrics.items()}, step=step)
    for name, value in run.metrics.items():  # every metric in the run's log, the table's too
        log.info("%s = %.2f", name, value)
    protocol = {
        **protocol_for(run.kinds[0], probe, run.modality, run.views).as_dict(),
        "label_fraction": probe["label_fraction"],
        "train_examples": len(task.train_y),
        "test_examples": len(task.test_y),
        "label_seed": seed,
        "kinds": {k: protocol_for(k, probe, run.modality, run.views).as_dict() for k in run.kinds},
        "metrics": run.sources,
        **({"baseline": "an untrained encoder of the same architecture and initial weights (seed), the same protocols"}
           if probe["baseline"] else {}),
        **extra,
    }
    return run.metrics, protocol
