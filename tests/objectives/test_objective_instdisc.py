"""InstDisc against a float64 loop reference: loss, bank initialisation, in-place (double) updates, gather."""

from __future__ import annotations

import math

import pytest
import torch

from tests.objectives.slow_math import dot as _dot
from tests.objectives.slow_math import unit as _unit
from viewmaker_cli.objectives.instdisc import InstDisc


def _reference_loss(z: torch.Tensor, bank: torch.Tensor, index: torch.Tensor, neg: torch.Tensor, t: float) -> float:
    rows, memory = [_unit(r) for r in z.double().tolist()], bank.double().tolist()
    total = 0.0
    for i, anchor in enumerate(rows):
        scores = [_dot(anchor, memory[j]) / t for j in neg[i].tolist()]
        top = max(scores)
        negterm = top + math.log(sum(math.exp(s - top) for s in scores)) - math.log(len(scores))
        total += _dot(anchor, memory[int(index[i])]) / t - negterm
    return -total / len(rows)


def _reference_update(bank: torch.Tensor, z: torch.Tensor, index: torch.Tensor, m: float) -> torch.Tensor:
    out = bank.double().clone()
    for i, j in enumerate(index.tolist()):
        mixed = [m * b + (1 - m) * v for b, v in zip(out[j].tolist(), _unit(z[i].double().tolist()))]
        out[j] = torch.tensor(_unit(mixed), dtype=torch.float64)
    return out


def test_bank_is_normalised_uniform_buffer() -> None:
    objective = InstDisc(num_examples=50, dim=12)
    torch.manual_seed(0)
    scale = 1 / math.sqrt(12 / 3)
    raw = torch.rand(50, 12) * 2 * scale - scale
    torch.testing.assert_close(objective.bank, raw / raw.norm(dim=1, keepdim=True))
    assert list(objective.parameters()) == [] and "bank" in objective.state_dict()
    assert objective.needs_index and not objective.needs_target


# num_examples <= k·dim takes the all-products path; larger banks gather rows: both must match the loop.
@pytest.mark.parametrize("num_examples", [20, 60])
@pytest.mark.parametrize("temperature", [0.07, 0.5])
def test_loss_matches_reference(num_examples: int, temperature: float) -> None:
    objective = InstDisc(num_examples, dim=4, num_negatives=8, temperature=temperature)
    z = torch.randn(5, 4)
    index = torch.tensor([3, 0, 7, 3, 11])
    neg = torch.randint(0, num_examples, (5, 8))
    loss = objective(z, None, index, negatives=neg)
    assert loss.dtype == torch.float32 and loss.dim() == 0
    expected = _reference_loss(z, objective.bank, index, neg, temperature)
    assert loss.item() == pytest.approx(expected, rel=1e-5, abs=1e-5)
    torch.testing.assert_close(objective.adversarial(z, None, index, negatives=neg), -loss)


def test_negatives_are_uniform_with_replacement_and_reproducible() -> None:
    objective = InstDisc(num_examples=6, dim=4, num_negatives=64)
    neg = objective.sample_negatives(3, torch.Generator().manual_seed(1))
    assert neg.shape == (3, 64) and neg.dtype == torch.long
    assert int(neg.min()) >= 0 and int(neg.max()) < 6
    assert len(set(neg[0].tolist())) < 64  # drawn with replacement
    assert (neg == torch.arange(3).unsqueeze(1)).any()  # own index not excluded
    torch.testing.assert_close(neg, objective.sample_negatives(3, torch.Generator().manual_seed(1)))
    z, index = torch.randn(3, 4), torch.arange(3)
    a = objective(z, z, index, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(a, objective(z, z, index, negatives=neg))


def test_gradient_reaches_embeddings_not_bank() -> None:
    objective = InstDisc(num_examples=10, dim=4, num_negatives=16)
    z = torch.randn(3, 4, requires_grad=True)
    objective(z, None, torch.tensor([1, 2, 3])).backward()
    assert z.grad is not None and torch.isfinite(z.grad).all() and z.grad.abs().sum() > 0
    assert not objective.bank.requires_grad


def test_after_step_updates_rows_in_place() -> None:
    objective = InstDisc(num_examples=10, dim=4, momentum=0.5)
    bank, before = objective.bank, objective.bank.clone()
    pointer = bank.data_ptr()
    z, index = torch.randn(3, 4) * 5, torch.tensor([2, 7, 4])
    objective.after_step(z, None, index)
    assert objective.bank is bank and objective.bank.data_ptr() == pointer
    torch.testing.assert_close(objective.bank.double(), _reference_update(before, z, index, 0.5))
    untouched = [i for i in range(10) if i not in (2, 7, 4)]
    torch.testing.assert_close(objective.bank[untouched], before[untouched], rtol=0, atol=0)
    torch.testing.assert_close(objective.bank.norm(dim=1), torch.ones(10))


def test_double_update_writes_again_after_the_viewmaker_step_with_its_embeddings() -> None:
    single = InstDisc(num_examples=10, dim=4, momentum=0.5)
    double = InstDisc(num_examples=10, dim=4, momentum=0.5, double_update=True)
    double.bank.copy_(single.bank)
    z, w, index = torch.randn(3, 4), torch.randn(3, 4), torch.tensor([0, 5, 9])
    for objective in (single, double):
        objective.after_step(z, None, index)
    torch.testing.assert_close(single.bank, double.bank)  # the encoder pass writes once either way
    expected = double.bank.clone()
    single.after_viewmaker_step(w, None, index)
    torch.testing.assert_close(single.bank, expected, rtol=0, atol=0)  # no second write without double_update
    double.after_viewmaker_step(w, None, index)
    torch.testing.assert_close(double.bank.double(), _reference_update(expected, w, index, 0.5))


def test_after_step_uses_gather_for_other_devices() -> None:
    other_z, other_index = torch.randn(2, 4), torch.tensor([8, 9])
    objective = InstDisc(
        num_examples=10, dim=4,
        gather=lambda t: torch.cat([t, other_index if t.dtype == torch.long else other_z]),
    )
    before = objective.bank.clone()
    z, index = torch.randn(2, 4), torch.tensor([0, 1])
    objective.after_step(z, None, index)
    expected = _reference_update(before, torch.cat([z, other_z]), torch.tensor([0, 1, 8, 9]), 0.5)
    torch.testing.assert_close(objective.bank.double(), expected)


def test_fp32_under_bf16_and_autocast() -> None:
    objective = InstDisc(num_examples=10, dim=4, num_negatives=16)
    z, index, neg = torch.randn(3, 4).bfloat16(), torch.tensor([1, 2, 3]), torch.randint(0, 10, (3, 16))
    loss = objective(z, None, index, negatives=neg)
    assert loss.dtype == torch.float32
    with torch.autocast("cpu", dtype=torch.bfloat16):
        torch.testing.assert_close(objective(z.float(), None, index, negatives=neg), loss)
    objective.after_step(z, None, index)
    assert objective.bank.dtype == torch.float32


def test_bad_inputs_are_rejected() -> None:
    objective = InstDisc(num_examples=10, dim=4)
    with pytest.raises(ValueError, match="index"):
        objective(torch.randn(3, 4), None)
    with pytest.raises(ValueError):
        objective(torch.randn(3, 5), None, torch.arange(3))
    with pytest.raises(ValueError):
        objective(torch.randn(3, 4), None, torch.arange(3), negatives=torch.zeros(2, 8, dtype=torch.long))
