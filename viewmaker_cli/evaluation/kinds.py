"""Probe kinds: how a classifier is fitted on a frozen encoder (linear, paper, knn) and what it predicts.

Every kind reads the same cached features of one encoder where it can (`Encoded`), so running several
kinds costs one embedding per split and feature layer; only `paper` with views runs the encoder per epoch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from viewmaker_cli.evaluation.knn import KnnProtocol, knn_predict
from viewmaker_cli.evaluation.linear_probe import ProbeProtocol, embed, train_linear_head
from viewmaker_cli.evaluation.paper_probe import PaperProtocol, train_paper_head

KINDS = ("linear", "paper", "knn")
KindProtocol = ProbeProtocol | PaperProtocol | KnnProtocol


@dataclass
class Task:
    """A labelled dataset to probe on; `train_*` already cut to the labelled fraction."""

    name: str
    train_x: Tensor
    train_y: Tensor
    test_x: Tensor
    test_y: Tensor
    num_classes: int
    key: str = ""  # names its cached features (a transfer set may share the main dataset's name)

    def __post_init__(self) -> None:
        self.key = self.key or self.name


class Encoded:
    """A frozen encoder and its normaliser, with features cached per (split, layer); `name` says which
    encoder it is in progress bars (pretrained, untrained)."""

    def __init__(self, encoder: nn.Module, normalizer: nn.Module, name: str = "pretrained"):
        self.encoder, self.normalizer, self.name = encoder, normalizer, name
        self._cache: dict[tuple[str, str], Tensor] = {}

    def features(self, key: str, x: Tensor, layer: str) -> Tensor:
        if (key, layer) not in self._cache:
            description = f"embedding {key} ({self.name}, {layer})"
            self._cache[key, layer] = embed(self.encoder, self.normalizer, x, layer, description=description)
        return self._cache[key, layer]

    def forget(self, prefix: str) -> None:
        """Drop the cached features of one task (transfer sets can be large)."""
        for key in [k for k in self._cache if k[0].startswith(prefix)]:
            del self._cache[key]


@dataclass
class Fitted:
    """A trained probe: the feature layer it reads and features → predicted labels."""

    kind: str
    layer: str
    classify: Callable[..., Tensor]  # (features, description=None) -> labels; kNN shows its progress with one
    train_top1: float | None = None

    @torch.no_grad()
    def top1(self, features: Tensor, labels: Tensor, description: str | None = None) -> float:
        return (self.classify(features, description) == labels.to(features.device)).float().mean().item() * 100

    def predictor(self, encoded: Encoded) -> Callable[[Tensor], Tensor]:
        """Raw inputs (uint8 images or model-space floats) → predicted labels."""
        return lambda x: self.classify(embed(encoded.encoder, encoded.normalizer, x, self.layer))


def fit(
    kind: str, protocol: KindProtocol, encoded: Encoded, task: Task, view: nn.Module | None, seed: int, description: str | None = None
) -> Fitted:
    """Train (or, for kNN, index) a probe of `kind` on `task`'s training split (`description`: its progress)."""
    train_key = f"{task.key}/train"
    if kind == "knn":
        bank = encoded.features(train_key, task.train_x, protocol.layer)
        labels = task.train_y.to(bank.device)

        def classify(f: Tensor, description: str | None = None) -> Tensor:
            return knn_predict(bank, labels, f, task.num_classes, protocol.k, protocol.temperature, description=description)

        return Fitted(kind, protocol.layer, classify)
    if kind == "linear":
        features = encoded.features(train_key, task.train_x, protocol.layer)
        head = train_linear_head(features, task.train_y, task.num_classes, protocol, seed, description)
    elif kind == "paper":
        uses_views = protocol.views_during_probe != "none"
        cached = None if uses_views else encoded.features(train_key, task.train_x, protocol.layer)
        head = train_paper_head(
            encoded.encoder, encoded.normalizer, view if uses_views else None, task.train_x, task.train_y,
            task.num_classes, protocol, seed, cached, description,
        )
    else:
        raise ValueError(f"unknown probe kind {kind!r}")
    fitted = Fitted(kind, protocol.layer, lambda f, description=None: head(f).argmax(1))
    fitted.train_top1 = fitted.top1(encoded.features(train_key, task.train_x, protocol.layer), task.train_y)
    return fitted


def evaluate(fitted: Fitted, encoded: Encoded, task: Task, description: str | None = None) -> float:
    """Top-1 (percent) on the task's held-out split, clean inputs (`description`: kNN's progress, the
    step of a kNN probe that takes time)."""
    features = encoded.features(f"{task.key}/test", task.test_x, fitted.layer)
    return fitted.top1(features, task.test_y, description if fitted.kind == "knn" else None)
