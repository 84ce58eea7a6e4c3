"""The fast linear probe: embed the data once with the frozen encoder, then train a linear layer on the
cached feature tensors (no encoder forward per probe epoch)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import Tensor, nn

from viewmaker_cli.core.device import optimizer_flags
from viewmaker_cli.core.progress import track
from viewmaker_cli.data import Splits
from viewmaker_cli.data.splits import model_space


@torch.no_grad()
def embed(
    encoder: nn.Module, normalizer: nn.Module, x: Tensor, layer: str, batch_size: int = 512, description: str | None = None
) -> Tensor:
    """Frozen features of `x` (uint8 images or float inputs) in eval mode, as float32 on x's device; with
    `description`, its progress is shown (core/progress.py)."""
    was_training = encoder.training
    encoder.eval()
    device = next(encoder.parameters()).device
    out = []
    starts = range(0, x.shape[0], batch_size)
    for start in track(starts, description, unit="batch") if description else starts:
        chunk = x[start : start + batch_size].to(device, non_blocking=True)
        chunk = model_space(chunk)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            out.append(encoder.features(normalizer(chunk), layer=layer).float())
    encoder.train(was_training)
    return torch.cat(out)


@dataclass
class ProbeProtocol:
    kind: str = "linear"
    layer: str = "pooled"
    epochs: int = 100
    optimizer: str = "adam"
    lr: float = 1e-3
    weight_decay: float = 0.0
    batch_size: int = 256
    standardize: bool = True
    views_during_probe: str = "none"  # the fast protocol trains on clean, cached features
    encoder_mode: str = "eval"
    train_split: str = "train"
    eval_split: str = "test"
    selection: str = "final epoch"  # never best-on-test

    def as_dict(self) -> dict:
        return asdict(self)


class LinearClassifier(nn.Module):
    """A trained probe head with the feature standardisation it was trained with."""

    def __init__(self, head: nn.Linear, mean: Tensor | None = None, std: Tensor | None = None):
        super().__init__()
        self.head, self.mean, self.std = head, mean, std

    def forward(self, features: Tensor) -> Tensor:
        if self.mean is not None:
            features = (features - self.mean) / self.std
        return self.head(features)


def train_linear_head(
    train_f: Tensor, train_y: Tensor, num_classes: int, protocol: ProbeProtocol, seed: int, description: str | None = None
) -> LinearClassifier:
    """Train a linear classifier on cached features (Adam, the fast protocol), final epoch."""
    generator = torch.Generator().manual_seed(seed)
    device = train_f.device
    mean = std = None
    if protocol.standardize:  # training statistics only
        mean, std = train_f.mean(0), train_f.std(0).clamp_min(1e-6)
        train_f = (train_f - mean) / std
    train_y = train_y.to(device)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        head = nn.Linear(train_f.shape[1], num_classes).to(device)
    optimizer = torch.optim.Adam(head.parameters(), lr=protocol.lr, weight_decay=protocol.weight_decay, **optimizer_flags(device))
    n = train_f.shape[0]
    epochs = range(protocol.epochs)
    for _ in track(epochs, description, unit="epoch") if description else epochs:
        order = torch.randperm(n, generator=generator).to(device)
        for start in range(0, n, protocol.batch_size):
            idx = order[start : start + protocol.batch_size]
            loss = nn.functional.cross_entropy(head(train_f[idx]), train_y[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    return LinearClassifier(head, mean, std).requires_grad_(False)


@torch.no_grad()
def top1(classifier: nn.Module, features: Tensor, labels: Tensor) -> float:
    """Top-1 accuracy in percent of `classifier` on features."""
    return (classifier(features).argmax(1) == labels.to(features.device)).float().mean().item() * 100


def fit_linear_probe(
    train_f: Tensor, train_y: Tensor, test_f: Tensor, test_y: Tensor, num_classes: int, protocol: ProbeProtocol, seed: int
) -> dict[str, float]:
    """Train a linear classifier on features; return train and test top-1 (percent) after the final epoch."""
    classifier = train_linear_head(train_f, train_y, num_classes, protocol, seed)
    return {"probe_top1": top1(classifier, test_f, test_y), "probe_train_top1": top1(classifier, train_f, train_y)}


def linear_probe(
    encoder: nn.Module, normalizer: nn.Module, splits: Splits, protocol: ProbeProtocol, seed: int
) -> dict[str, float]:
    """Embed train and test once, fit the probe, report top-1 on the held-out split."""
    train_f = embed(encoder, normalizer, splits.train_x, protocol.layer)
    test_f = embed(encoder, normalizer, splits.test_x, protocol.layer)
    return fit_linear_probe(train_f, splits.train_y, test_f, splits.test_y, splits.num_classes, protocol, seed)
