"""SimSiam (Chen & He 2021): predict one view's projection from the other's, with a stop-gradient and no negatives."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from viewmaker_cli.objectives.base import Objective
from viewmaker_cli.objectives.configs import SimSiamConfig


def predictor(dim: int, hidden: int) -> nn.Sequential:
    """SimSiam's bottleneck prediction MLP: Linear(no bias)-BN-ReLU-Linear, dim -> hidden -> dim."""
    return nn.Sequential(
        nn.Linear(dim, hidden, bias=False), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True), nn.Linear(hidden, dim)
    )


class SimSiam(Objective):
    """Loss -½[cos(p1, sg(z2)) + cos(p2, sg(z1))] with p = predictor(z); in [-1, 1].

    The objective owns the predictor: put `objective.parameters()` in the encoder's optimiser. No target network.
    `adversarial` = -loss WITHOUT the stop-gradient: the stop exists to keep the encoder from collapsing, while the
    viewmaker should get the full gradient of the similarity with respect to both views.
    """

    def __init__(self, dim: int, hidden: int = 512) -> None:
        super().__init__()
        self.dim = dim
        self.predictor = predictor(dim, hidden)

    @classmethod
    def from_config(cls, config: SimSiamConfig, embedding_dim: int, num_examples: int, num_classes: int) -> SimSiam:
        return cls(embedding_dim, config.hidden)

    def forward(self, z1: Tensor, z2: Tensor, index: Tensor | None = None) -> Tensor:
        return self._loss(z1, z2, stop_gradient=True)

    def adversarial(self, z1: Tensor, z2: Tensor, index: Tensor | None = None) -> Tensor:
        return -self._loss(z1, z2, stop_gradient=False)

    def _loss(self, z1: Tensor, z2: Tensor, stop_gradient: bool) -> Tensor:
        if z1.dim() != 2 or z1.shape != z2.shape or z1.shape[1] != self.dim:
            raise ValueError(f"expected two [B, {self.dim}] embeddings, got {tuple(z1.shape)} and {tuple(z2.shape)}")
        # fp32: a tiny predictor, and cosines near 1 need the mantissa.
        with torch.autocast(device_type=z1.device.type, enabled=False):
            z1, z2 = z1.float(), z2.float()
            p1, p2 = self.predictor(z1), self.predictor(z2)
            if stop_gradient:
                z1, z2 = z1.detach(), z2.detach()
            cos = F.cosine_similarity(p1, z2, dim=1).mean() + F.cosine_similarity(p2, z1, dim=1).mean()
            return -cos / 2
