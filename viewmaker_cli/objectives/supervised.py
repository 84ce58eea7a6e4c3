"""Supervised baseline: cross-entropy of a linear classifier on the embeddings, trained end to end with the encoder."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from viewmaker_cli.errors import UserError
from viewmaker_cli.objectives.base import Objective
from viewmaker_cli.objectives.configs import SupervisedConfig


class Supervised(Objective):
    """Mean cross-entropy of `classifier(z)` over the given views (z2 may be None: then only z1 is classified).

    Only for the paper's few-label comparison, where the encoder learns from labels instead of a contrastive loss.
    The objective owns the classifier: put `objective.parameters()` in the encoder's optimiser. `adversarial` =
    -loss, so a viewmaker (if one is used at all) makes views that are hard to classify.
    """

    needs_labels = True

    def __init__(self, dim_in: int, num_classes: int) -> None:
        super().__init__()
        if num_classes < 2:
            raise ValueError(f"num_classes must be at least 2, got {num_classes}")
        self.num_classes = num_classes
        self.classifier = nn.Linear(dim_in, num_classes)

    @classmethod
    def from_config(cls, config: SupervisedConfig, embedding_dim: int, num_examples: int, num_classes: int) -> Supervised:
        if num_classes < 2:
            raise UserError("objective=supervised needs labelled data with at least 2 classes")
        return cls(embedding_dim, num_classes)

    def forward(
        self, z1: Tensor, z2: Tensor | None = None, index: Tensor | None = None, *, labels: Tensor | None = None
    ) -> Tensor:
        if labels is None:
            raise ValueError("the supervised objective needs labels=y, one class index per example")
        views = [z1] if z2 is None else [z1, z2]
        for z in views:
            if z.dim() != 2 or labels.shape != (z.shape[0],):
                shapes = f"{tuple(z.shape)} and {tuple(labels.shape)}"
                raise ValueError(f"expected [B, d] embeddings and [B] labels, got {shapes}")
        # fp32 logits and log-softmax, as for the other objectives.
        with torch.autocast(device_type=z1.device.type, enabled=False):
            losses = [F.cross_entropy(self.classifier(z.float()), labels.long()) for z in views]
            return torch.stack(losses).mean()
