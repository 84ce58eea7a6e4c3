"""BYOL: loss against a float64 formula (explicit predictor), stop-gradient at the targets, EMA update math."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from tests.objectives.slow_math import cos as _cos
from viewmaker_cli.core.ema import cosine_tau, ema_update
from viewmaker_cli.objectives.byol import BYOL


def _predict64(objective: BYOL, z: torch.Tensor) -> torch.Tensor:
    """Linear -> BatchNorm (train mode: batch mean, biased variance) -> ReLU -> Linear, in float64."""
    first, norm, _, last = objective.predictor
    h = z.double() @ first.weight.double().T + first.bias.double()
    h = (h - h.mean(0)) / torch.sqrt(h.var(0, unbiased=False) + norm.eps) * norm.weight.double() + norm.bias.double()
    return h.clamp_min(0) @ last.weight.double().T + last.bias.double()


def _reference(objective: BYOL, z1, z2, t1, t2) -> float:
    p1, p2 = _predict64(objective, z1).tolist(), _predict64(objective, z2).tolist()
    a = sum(2 - 2 * _cos(p, t) for p, t in zip(p1, t2.double().tolist())) / len(p1)
    b = sum(2 - 2 * _cos(p, t) for p, t in zip(p2, t1.double().tolist())) / len(p2)
    return (a + b) / 2


def test_loss_matches_formula_and_adversarial_negates() -> None:
    objective = BYOL(dim=6, hidden=10)
    z1, z2, t1, t2 = (torch.randn(5, 6) for _ in range(4))
    loss = objective(z1, z2, targets=(t1, t2))
    assert loss.dtype == torch.float32 and loss.dim() == 0 and 0 <= loss.item() <= 4
    assert loss.item() == pytest.approx(_reference(objective, z1, z2, t1, t2), rel=1e-5, abs=1e-5)
    torch.testing.assert_close(objective.adversarial(z1, z2, targets=(t1, t2)), -loss)
    assert objective.needs_target and not objective.needs_index
    assert any(p is objective.predictor[0].weight for p in objective.parameters())


def test_gradients_stop_at_targets_but_not_in_adversarial() -> None:
    objective = BYOL(dim=6, hidden=10)
    online, target = nn.Linear(4, 6), nn.Linear(4, 6)
    target.requires_grad_(False)
    x1, x2 = torch.randn(5, 4, requires_grad=True), torch.randn(5, 4, requires_grad=True)
    objective(online(x1), online(x2), targets=(target(x1), target(x2))).backward()
    assert online.weight.grad is not None and objective.predictor[0].weight.grad is not None
    assert target.weight.grad is None
    # Encoder pass: the views get gradient only through the online branch.
    x1_grad = x1.grad.clone()
    x1.grad = None
    objective(online(x1), online(x2.detach()), targets=(target(x1).detach(), target(x2).detach())).backward()
    torch.testing.assert_close(x1.grad, x1_grad)
    # Viewmaker pass: with grad-carrying targets the view also moves the target branch.
    t1 = target(x1)
    t1.retain_grad()
    x1.grad = None
    objective.adversarial(online(x1), online(x2), targets=(t1, target(x2))).backward()
    assert t1.grad is not None and t1.grad.abs().sum() > 0


def test_ema_update_lerps_parameters_and_copies_buffers_in_place() -> None:
    online = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    target = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    online(torch.randn(8, 3))  # move the online running statistics away from the target's
    before = {k: v.clone() for k, v in target.state_dict().items()}
    online_state = {k: v.clone() for k, v in online.state_dict().items()}
    pointer = target[0].weight.data_ptr()
    ema_update(online, target, 0.9)
    assert target[0].weight.data_ptr() == pointer
    for name, _ in target.named_parameters():
        expected = 0.9 * before[name].double() + 0.1 * online_state[name].double()
        torch.testing.assert_close(target.state_dict()[name].double(), expected)
    for name, _ in target.named_buffers():
        torch.testing.assert_close(target.state_dict()[name], online_state[name])
    for name, value in online.state_dict().items():
        torch.testing.assert_close(value, online_state[name], rtol=0, atol=0)


def test_ema_update_rejects_mismatched_networks() -> None:
    with pytest.raises(ValueError):
        ema_update(nn.Linear(3, 4), nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 4)), 0.9)
    with pytest.raises(ValueError):
        ema_update(nn.Linear(3, 4), nn.Linear(3, 5), 0.9)


def test_cosine_tau_schedule() -> None:
    assert cosine_tau(0.99, 0, 100) == pytest.approx(0.99)
    assert cosine_tau(0.99, 50, 100) == pytest.approx(0.995)
    assert cosine_tau(0.99, 100, 100) == pytest.approx(1.0)


def test_fp32_under_autocast_and_missing_targets() -> None:
    objective = BYOL(dim=6, hidden=10)
    z1, z2, t1, t2 = (torch.randn(5, 6) for _ in range(4))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = objective(z1, z2, targets=(t1, t2))
    assert loss.dtype == torch.float32
    torch.testing.assert_close(loss, objective(z1, z2, targets=(t1, t2)))
    with pytest.raises(ValueError, match="targets"):
        objective(z1, z2)
