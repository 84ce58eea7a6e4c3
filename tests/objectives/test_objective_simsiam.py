"""SimSiam: value against a float64 reference, and where the stop-gradient lets gradient through."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from tests.objectives.slow_math import cos as _cos
from viewmaker_cli.objectives.simsiam import SimSiam


def _predict64(objective: SimSiam, z: torch.Tensor) -> torch.Tensor:
    first, norm, _, last = objective.predictor
    assert first.bias is None
    h = z.double() @ first.weight.double().T
    h = (h - h.mean(0)) / torch.sqrt(h.var(0, unbiased=False) + norm.eps) * norm.weight.double() + norm.bias.double()
    return h.clamp_min(0) @ last.weight.double().T + last.bias.double()


def test_value_matches_reference_and_adversarial_negates() -> None:
    objective = SimSiam(dim=6, hidden=3)
    z1, z2 = torch.randn(5, 6), torch.randn(5, 6)
    p1, p2 = _predict64(objective, z1).tolist(), _predict64(objective, z2).tolist()
    a = sum(_cos(p, z) for p, z in zip(p1, z2.double().tolist())) / 5
    b = sum(_cos(p, z) for p, z in zip(p2, z1.double().tolist())) / 5
    loss = objective(z1, z2)
    assert loss.dtype == torch.float32 and -1 <= loss.item() <= 1
    assert loss.item() == pytest.approx(-(a + b) / 2, rel=1e-5, abs=1e-5)
    torch.testing.assert_close(objective.adversarial(z1, z2), -loss)


def test_stop_gradient_leaves_only_the_predictor_path() -> None:
    objective = SimSiam(dim=6, hidden=3)
    z1, z2 = torch.randn(5, 6, requires_grad=True), torch.randn(5, 6, requires_grad=True)
    objective(z1, z2).backward()
    # z2 is a detached target in the first term, so its gradient is exactly that of -½cos(p2, sg(z1)).
    w1, w2 = z1.detach().clone().requires_grad_(), z2.detach().clone().requires_grad_()
    _p1, p2 = objective.predictor(w1), objective.predictor(w2)  # same batch statistics as inside the loss
    (-F.cosine_similarity(p2, w1.detach()).mean() / 2).backward()
    torch.testing.assert_close(z2.grad, w2.grad)
    # Without the stop the gradient differs: the adversarial pass sees both branches.
    v1, v2 = z1.detach().clone().requires_grad_(), z2.detach().clone().requires_grad_()
    objective.adversarial(v1, v2).backward()
    assert not torch.allclose(-v2.grad, z2.grad)


def test_fp32_under_autocast_and_shape_check() -> None:
    objective = SimSiam(dim=6, hidden=3)
    z1, z2 = torch.randn(5, 6).bfloat16(), torch.randn(5, 6).bfloat16()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert objective(z1, z2).dtype == torch.float32
    with pytest.raises(ValueError):
        objective(torch.randn(5, 6), torch.randn(4, 6))
