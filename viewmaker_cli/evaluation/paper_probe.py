"""The paper's probe protocol (reference §4.1): a linear layer on frozen features, SGD with momentum, a
step schedule, and during probe *training* inputs pass through the pretraining run's views (the frozen but
still stochastic viewmaker; the expert set for expert runs), then the encoder in eval mode. Test inputs
are clean. Views make an encoder forward per batch and epoch necessary; without views the features are
embedded once and cached."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import Tensor, nn

from viewmaker_cli.core.progress import track
from viewmaker_cli.data.splits import model_space
from viewmaker_cli.evaluation.linear_probe import LinearClassifier, embed


@dataclass
class PaperProtocol:
    kind: str = "paper"
    layer: str = "prepool"
    epochs: int = 100
    optimizer: str = "sgd"
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 0.0
    batch_size: int = 128
    milestones: list[int] = field(default_factory=lambda: [60, 80])
    gamma: float = 0.1
    standardize: bool = False
    views_during_probe: str = "none"  # which views, or "none"
    encoder_mode: str = "eval"
    train_split: str = "train"
    eval_split: str = "test"
    selection: str = "final epoch"  # never best-on-test

    def as_dict(self) -> dict:
        return asdict(self)


@torch.no_grad()
def view_features(encoder: nn.Module, normalizer: nn.Module, view: nn.Module, x: Tensor, layer: str) -> Tensor:
    """Features of one fresh view of each input of the batch `x` (on the encoder's device)."""
    device = x.device
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
        return encoder.features(normalizer(view(model_space(x))), layer=layer).float()


def train_paper_head(
    encoder: nn.Module, normalizer: nn.Module, view: nn.Module | None, train_x: Tensor, train_y: Tensor,
    num_classes: int, protocol: PaperProtocol, seed: int, cached: Tensor | None = None, description: str | None = None,
) -> LinearClassifier:
    """SGD on the features of views (a fresh view of every example in every epoch), or, when `view` is
    None, on clean features embedded once (`cached`, if already computed); the final epoch's head."""
    device = next(encoder.parameters()).device
    was_training = [m.training for m in (encoder, view) if m is not None]
    encoder.eval()
    if view is not None:
        view.eval()
        train_x = train_x.to(device)  # device-resident: a batch is an index gather
        batch_features = lambda idx: view_features(encoder, normalizer, view, train_x[idx], protocol.layer)  # noqa: E731
    else:
        cached = embed(encoder, normalizer, train_x, protocol.layer) if cached is None else cached
        batch_features = lambda idx: cached[idx]  # noqa: E731
    train_y = train_y.to(device)
    generator = torch.Generator().manual_seed(seed)
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)  # the head's init and the views' noise
        dim = embed(encoder, normalizer, train_x[:1], protocol.layer).shape[1]  # no view drawn for it
        head = nn.Linear(dim, num_classes).to(device)
        optimizer = torch.optim.SGD(
            head.parameters(), lr=protocol.lr, momentum=protocol.momentum, weight_decay=protocol.weight_decay
        )
        schedule = torch.optim.lr_scheduler.MultiStepLR(optimizer, protocol.milestones, protocol.gamma)
        n = len(train_y)
        epochs = range(protocol.epochs)
        for _ in track(epochs, description, unit="epoch") if description else epochs:
            order = torch.randperm(n, generator=generator).to(device)
            for start in range(0, n, protocol.batch_size):
                idx = order[start : start + protocol.batch_size]
                loss = nn.functional.cross_entropy(head(batch_features(idx)), train_y[idx])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
            schedule.step()
    for module, mode in zip([m for m in (encoder, view) if m is not None], was_training):
        module.train(mode)
    return LinearClassifier(head).requires_grad_(False)
