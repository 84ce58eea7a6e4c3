"""MoCo: symmetrised InfoNCE against a float64 loop reference, key stop-gradient, queue ring buffer."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from tests.objectives.slow_math import dot as _dot
from tests.objectives.slow_math import unit as _unit
from viewmaker_cli.objectives.moco import MoCo


def _info_nce(q: torch.Tensor, k: torch.Tensor, queue: torch.Tensor, t: float) -> float:
    queue_rows = queue.double().tolist()
    total = 0.0
    for qi, ki in zip(q.double().tolist(), k.double().tolist()):
        qi, ki = _unit(qi), _unit(ki)
        logits = [_dot(qi, ki) / t] + [_dot(qi, n) / t for n in queue_rows]
        top = max(logits)
        total += top + math.log(sum(math.exp(v - top) for v in logits)) - logits[0]
    return total / len(q)


@pytest.mark.parametrize("temperature", [0.2, 1.0])
def test_loss_matches_reference(temperature: float) -> None:
    objective = MoCo(dim=5, queue_size=7, temperature=temperature)
    z1, z2, k1, k2 = (torch.randn(4, 5) for _ in range(4))
    loss = objective(z1, z2, targets=(k1, k2))
    assert loss.dtype == torch.float32 and loss.dim() == 0
    expected = (_info_nce(z1, k2, objective.queue, temperature) + _info_nce(z2, k1, objective.queue, temperature)) / 2
    assert loss.item() == pytest.approx(expected, rel=1e-5, abs=1e-5)
    torch.testing.assert_close(objective.adversarial(z1, z2, targets=(k1, k2)), -loss)
    assert objective.needs_target and not objective.needs_index


def test_keys_are_detached_in_forward_only() -> None:
    objective = MoCo(dim=5, queue_size=7)
    z1, z2 = torch.randn(4, 5, requires_grad=True), torch.randn(4, 5, requires_grad=True)
    k1, k2 = torch.randn(4, 5, requires_grad=True), torch.randn(4, 5, requires_grad=True)
    objective(z1, z2, targets=(k1, k2)).backward()
    assert z1.grad is not None and k1.grad is None and k2.grad is None
    objective.adversarial(z1, z2, targets=(k1, k2)).backward()
    assert k1.grad is not None and k1.grad.abs().sum() > 0
    assert not objective.queue.requires_grad


def test_queue_wraps_around_in_place() -> None:
    objective = MoCo(dim=3, queue_size=10)
    queue, pointer = objective.queue, objective.queue.data_ptr()
    expected = list(objective.queue.clone())
    slot = 0
    for _ in range(3):  # 6 keys per step into 10 slots: wraps on the second step
        z, k1, k2 = torch.randn(3, 3), torch.randn(3, 3) * 4, torch.randn(3, 3)
        objective.after_step(z, z, targets=(k1, k2))
        for key in F.normalize(torch.cat([k1, k2]), dim=1):
            expected[slot] = key
            slot = (slot + 1) % 10
        assert int(objective.queue_ptr) == slot
    assert objective.queue is queue and objective.queue.data_ptr() == pointer
    torch.testing.assert_close(objective.queue, torch.stack(expected))
    torch.testing.assert_close(objective.queue.norm(dim=1), torch.ones(10))


def test_more_keys_than_slots_keeps_the_newest() -> None:
    objective = MoCo(dim=3, queue_size=4)
    k1, k2 = torch.randn(3, 3), torch.randn(3, 3)
    objective.after_step(k1, k2, targets=(k1, k2))
    newest = F.normalize(torch.cat([k1, k2]), dim=1)[-4:]
    assert int(objective.queue_ptr) == 6 % 4
    torch.testing.assert_close(objective.queue[[2, 3, 0, 1]], newest)


def test_enqueue_gathers_keys_from_other_devices() -> None:
    other = torch.randn(2, 3)
    objective = MoCo(dim=3, queue_size=8, gather=lambda t: torch.cat([t, other]))
    k1, k2 = torch.randn(2, 3), torch.randn(2, 3)
    objective.after_step(k1, k2, targets=(k1, k2))
    torch.testing.assert_close(objective.queue[:8], F.normalize(torch.cat([k1, other, k2, other]), dim=1))


def test_fp32_under_autocast_and_missing_targets() -> None:
    objective = MoCo(dim=5, queue_size=7)
    z1, z2, k1, k2 = (torch.randn(4, 5) for _ in range(4))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = objective(z1, z2, targets=(k1, k2))
    assert loss.dtype == torch.float32
    torch.testing.assert_close(loss, objective(z1, z2, targets=(k1, k2)))
    with pytest.raises(ValueError, match="targets"):
        objective(z1, z2)
