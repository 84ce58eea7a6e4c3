"""What every objective is: one small nn.Module the training loop drives the same way, whatever the loss.

Per training step the loop (training/module.py) calls, in order:
  loss = objective(z1, z2, **inputs)              the encoder's loss; the encoder's optimiser steps on it
  objective.after_step(z1, z2, **inputs)          state that follows the update (memory bank, queue)
  objective.adversarial(w1, w2, **inputs)         the viewmaker's loss, on fresh views (alternating updates)
  objective.after_viewmaker_step(w1, w2, **inputs) state that follows the viewmaker's update (alternating)
z1, z2 are the embeddings of two views [B, d]. `inputs` holds only what the objective asks for with its
`needs_*` flags: `index` (dataset indices [B]), `targets` ((t1, t2), the EMA target network's embeddings of
the same views, no gradient) and `labels` ([B] class indices). With `needs_target` the loop also keeps the
target network, an EMA copy of the encoder at rate `ema`, updated after each encoder step.

Parameters of the objective (a predictor, a classifier) train with the encoder's optimiser; buffers (bank,
queue) are saved in checkpoints under `objective.`.
"""

from __future__ import annotations

from typing import ClassVar

from torch import Tensor, nn

from viewmaker_cli.config import ObjectiveConfig


class Objective(nn.Module):
    """Base of every objective: subclasses set the flags, `forward`, and `from_config`; the rest has defaults."""

    needs_index: ClassVar[bool] = False  # dataset indices of the batch (memory bank rows)
    needs_target: ClassVar[bool] = False  # the EMA target network's embeddings of both views
    needs_labels: ClassVar[bool] = False  # class labels of the batch
    ema: float | None = None  # rate of the target network's EMA (set when needs_target)

    @classmethod
    def from_config(
        cls, config: ObjectiveConfig, embedding_dim: int, num_examples: int, num_classes: int
    ) -> Objective:
        """The objective for its own config dataclass, embeddings of `embedding_dim`, a training set of
        `num_examples` rows in `num_classes` classes (0: unlabelled)."""
        raise NotImplementedError

    def forward(self, z1: Tensor, z2: Tensor, *args, **inputs) -> Tensor:
        """The encoder's loss (a scalar)."""
        raise NotImplementedError

    def adversarial(self, z1: Tensor, z2: Tensor, *args, **inputs) -> Tensor:
        """The viewmaker's loss: by default the negated encoder loss (the viewmaker makes views that are hard
        for the encoder). Objectives whose loss stops a gradient override it to let the viewmaker see both."""
        return -self(z1, z2, *args, **inputs)

    def after_step(self, z1: Tensor, z2: Tensor, *args, **inputs) -> None:
        """State that follows the encoder's update (memory bank or queue writes); called under no_grad.
        Stateless objectives keep this no-op."""

    def after_viewmaker_step(self, z1: Tensor, z2: Tensor, *args, **inputs) -> None:
        """State that follows the viewmaker's update (alternating updates only), with the embeddings of the
        viewmaker's pass; called under no_grad. Only InstDisc's double_update uses it."""
