"""Supervised baseline: cross-entropy of the linear classifier against a float64 loop, one or two views."""

from __future__ import annotations

import math

import pytest
import torch

from viewmaker_cli.objectives.supervised import Supervised


def _reference(objective: Supervised, z: torch.Tensor, labels: torch.Tensor) -> float:
    weight, bias = objective.classifier.weight.double().tolist(), objective.classifier.bias.double().tolist()
    total = 0.0
    for row, label in zip(z.double().tolist(), labels.tolist()):
        logits = [sum(w * x for w, x in zip(ws, row)) + b for ws, b in zip(weight, bias)]
        total += math.log(sum(math.exp(v) for v in logits)) - logits[label]
    return total / len(labels)


def test_loss_matches_reference_for_one_and_two_views() -> None:
    objective = Supervised(dim_in=6, num_classes=3)
    z1, z2, labels = torch.randn(5, 6), torch.randn(5, 6), torch.tensor([0, 2, 1, 2, 0])
    one = objective(z1, None, labels=labels)
    two = objective(z1, z2, labels=labels)
    assert one.dtype == torch.float32 and one.dim() == 0
    assert one.item() == pytest.approx(_reference(objective, z1, labels), rel=1e-5)
    expected = (_reference(objective, z1, labels) + _reference(objective, z2, labels)) / 2
    assert two.item() == pytest.approx(expected, rel=1e-5)
    torch.testing.assert_close(objective.adversarial(z1, z2, labels=labels), -two)
    assert objective.needs_labels and not objective.needs_target and not objective.needs_index


def test_gradient_reaches_classifier_and_embeddings() -> None:
    objective = Supervised(dim_in=6, num_classes=3)
    z = torch.randn(5, 6, requires_grad=True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = objective(z, labels=torch.tensor([0, 2, 1, 2, 0]))
    assert loss.dtype == torch.float32
    loss.backward()
    assert z.grad.abs().sum() > 0 and objective.classifier.weight.grad.abs().sum() > 0


def test_labels_are_required_and_checked() -> None:
    objective = Supervised(dim_in=6, num_classes=3)
    with pytest.raises(ValueError, match="labels"):
        objective(torch.randn(5, 6))
    with pytest.raises(ValueError):
        objective(torch.randn(5, 6), labels=torch.zeros(4, dtype=torch.long))
