"""SimCLR losses against slow loop references, plus their symmetry, sign, invariance and precision."""

from __future__ import annotations

import math

import pytest
import torch

from viewmaker_cli.objectives import SimCLR, simclr_loss


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def _unit_rows(z: torch.Tensor) -> list[list[float]]:
    rows = z.double().tolist()
    return [[v / math.sqrt(sum(u * u for u in row)) for v in row] for row in rows]


def _dot(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b))


def _reference_one_directional(z1: torch.Tensor, z2: torch.Tensor, t: float) -> float:
    a, b = _unit_rows(z1), _unit_rows(z2)
    candidates = a + b
    total = 0.0
    for i, anchor in enumerate(a):
        denominator = sum(math.exp(_dot(anchor, c) / t) for c in candidates) / len(candidates)
        total += _dot(anchor, b[i]) / t - math.log(denominator)
    return -total / len(a)


def _reference_nt_xent(z1: torch.Tensor, z2: torch.Tensor, t: float) -> float:
    z = _unit_rows(z1) + _unit_rows(z2)
    n = len(z) // 2
    total = 0.0
    for i, anchor in enumerate(z):
        partner = (i + n) % (2 * n)
        denominator = sum(math.exp(_dot(anchor, c) / t) for j, c in enumerate(z) if j != i)
        total += -math.log(math.exp(_dot(anchor, z[partner]) / t) / denominator)
    return total / len(z)


@pytest.mark.parametrize("batch", [4, 6])
@pytest.mark.parametrize("temperature", [0.07, 0.5, 1.0])
def test_one_directional_matches_reference(batch: int, temperature: float) -> None:
    z1, z2 = torch.randn(batch, 8), torch.randn(batch, 8)
    loss = simclr_loss(z1, z2, temperature)
    assert loss.dtype == torch.float32 and loss.dim() == 0
    assert loss.item() == pytest.approx(_reference_one_directional(z1, z2, temperature), rel=1e-5, abs=1e-5)


@pytest.mark.parametrize("batch", [4, 6])
@pytest.mark.parametrize("temperature", [0.07, 0.5, 1.0])
def test_nt_xent_matches_reference(batch: int, temperature: float) -> None:
    z1, z2 = torch.randn(batch, 8), torch.randn(batch, 8)
    loss = simclr_loss(z1, z2, temperature, symmetric=True)
    assert loss.item() == pytest.approx(_reference_nt_xent(z1, z2, temperature), rel=1e-5, abs=1e-5)


def test_only_nt_xent_is_symmetric_in_its_arguments() -> None:
    z1, z2 = torch.randn(5, 8), torch.randn(5, 8)
    assert not torch.allclose(simclr_loss(z1, z2, 0.5), simclr_loss(z2, z1, 0.5))
    torch.testing.assert_close(simclr_loss(z1, z2, 0.5, symmetric=True), simclr_loss(z2, z1, 0.5, symmetric=True))


@pytest.mark.parametrize("symmetric", [False, True])
def test_adversarial_is_negated_loss(symmetric: bool) -> None:
    objective = SimCLR(temperature=0.2, symmetric=symmetric)
    assert list(objective.parameters()) == []
    z1, z2 = torch.randn(4, 8), torch.randn(4, 8)
    torch.testing.assert_close(objective.adversarial(z1, z2), -objective(z1, z2))
    torch.testing.assert_close(objective(z1, z2), simclr_loss(z1, z2, 0.2, symmetric))


@pytest.mark.parametrize("symmetric", [False, True])
def test_matching_pairs_beat_random_pairs(symmetric: bool) -> None:
    separated = torch.eye(6, 8) * 3.0  # orthogonal, so every negative is far from its anchor
    matched = simclr_loss(separated, separated.clone(), 0.07, symmetric)
    random = simclr_loss(torch.randn(6, 8), torch.randn(6, 8), 0.07, symmetric)
    assert matched < random


@pytest.mark.parametrize("symmetric", [False, True])
def test_scale_invariance(symmetric: bool) -> None:
    z1, z2 = torch.randn(4, 8), torch.randn(4, 8)
    torch.testing.assert_close(simclr_loss(7.5 * z1, 0.01 * z2, 0.1, symmetric), simclr_loss(z1, z2, 0.1, symmetric))


@pytest.mark.parametrize("symmetric", [False, True])
def test_bf16_inputs_give_float32_loss(symmetric: bool) -> None:
    z1, z2 = torch.randn(4, 8).to(torch.bfloat16), torch.randn(4, 8).to(torch.bfloat16)
    loss = simclr_loss(z1, z2, 0.07, symmetric)
    assert loss.dtype == torch.float32
    # Same values as computing from the up-cast embeddings: nothing is rounded to bf16 inside.
    torch.testing.assert_close(loss, simclr_loss(z1.float(), z2.float(), 0.07, symmetric))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert simclr_loss(z1.float(), z2.float(), 0.07, symmetric).dtype == torch.float32


def test_zero_embedding_gives_finite_loss() -> None:
    # The authors' normalisation has no epsilon and would return NaN here.
    z1 = torch.randn(4, 8)
    z1[0] = 0.0
    assert torch.isfinite(simclr_loss(z1, torch.randn(4, 8)))


def test_mismatched_shapes_are_rejected() -> None:
    with pytest.raises(ValueError):
        simclr_loss(torch.randn(4, 8), torch.randn(5, 8))
