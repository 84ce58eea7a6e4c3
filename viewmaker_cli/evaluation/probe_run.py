"""Probe a pretrained encoder and, with the same protocol, an untrained one of the same architecture."""

from __future__ import annotations

import torch
from omegaconf import DictConfig
from torch import nn

from viewmaker_cli.data import Splits
from viewmaker_cli.evaluation.linear_probe import ProbeProtocol, linear_probe
from viewmaker_cli.training.module import build_encoder


def protocol_from(cfg: DictConfig) -> ProbeProtocol:
    p = cfg.probe
    return ProbeProtocol(
        kind=p.kind,
        layer=p.layer,
        epochs=p.epochs,
        lr=p.lr,
        weight_decay=p.weight_decay,
        batch_size=p.batch_size,
        standardize=p.standardize,
    )


def untrained_encoder(config: dict, in_channels: int, seed: int, dims: int = 2) -> nn.Module:
    """The encoder exactly as pretraining initialised it (same seed, built first), never trained."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build_encoder(config, in_channels, dims)


def probe_with_baseline(encoder: nn.Module, normalizer: nn.Module, splits: Splits, cfg: DictConfig, logger=None) -> tuple[dict, dict]:
    """metrics (probe_top1 and untrained_probe_top1, percent, test split) and the protocol that made them."""
    protocol = protocol_from(cfg)
    device = next(encoder.parameters()).device
    normalizer = normalizer.to(device)
    metrics = linear_probe(encoder, normalizer, splits, protocol, cfg.seed)
    if cfg.probe.baseline:
        from omegaconf import OmegaConf

        baseline = untrained_encoder(OmegaConf.to_container(cfg, resolve=True), splits.train_x.shape[1], cfg.seed, splits.train_x.ndim - 2).to(device)
        untrained = linear_probe(baseline, normalizer, splits, protocol, cfg.seed)
        metrics["untrained_probe_top1"] = untrained["probe_top1"]
    if logger is not None:
        logger.log_metrics({f"probe/{k}": v for k, v in metrics.items()}, step=0)
    return metrics, protocol.as_dict()
