"""W-MSE against a float64 NumPy reference (explicit covariance, Cholesky, inverse), plus the singularity guard."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from viewmaker_cli.errors import UserError
from viewmaker_cli.objectives.wmse import WMSE, whiten


def _whiten64(x: np.ndarray, eps: float) -> np.ndarray:
    n, d = x.shape
    xn = x - x.mean(axis=0)
    cov = np.zeros((d, d))
    for row in xn:
        cov += np.outer(row, row)
    cov = (1 - eps) * cov / (n - 1) + eps * np.eye(d)
    return xn @ np.linalg.inv(np.linalg.cholesky(cov)).T


def _reference(views: list[torch.Tensor], orders: list[torch.Tensor], eps: float) -> float:
    total, pairs = 0.0, 0
    for order in orders:
        white = [np.concatenate([_whiten64(v.double().numpy()[rows.numpy()], eps) for rows in order]) for v in views]
        for i in range(len(white)):
            for j in range(i + 1, len(white)):
                cos = [a @ b / np.sqrt((a @ a) * (b @ b)) for a, b in zip(white[i], white[j])]
                total += 2 - 2 * float(np.mean(cos))
                pairs += 1
    return total / pairs


def test_whitened_covariance_is_identity() -> None:
    x = torch.randn(40, 5) @ torch.randn(5, 5) + 3.0
    out, ok = whiten(x)
    assert bool(ok) and out.shape == x.shape
    np.testing.assert_allclose(np.cov(out.double().numpy(), rowvar=False), np.eye(5), atol=1e-4)


@pytest.mark.parametrize("num_views", [2, 4])
@pytest.mark.parametrize("eps", [0.0, 0.1])
def test_whole_batch_matches_reference(num_views: int, eps: float) -> None:
    objective = WMSE(dim=4, num_views=num_views, eps=eps)
    views = [torch.randn(12, 4) for _ in range(num_views)]
    loss = objective(*views)
    assert loss.dtype == torch.float32 and loss.dim() == 0 and 0 <= loss.item() <= 4
    expected = _reference(views, [torch.arange(12).view(1, 12)], eps)
    assert loss.item() == pytest.approx(expected, rel=1e-4, abs=1e-5)
    torch.testing.assert_close(objective.adversarial(*views), -loss)


def test_chunked_whitening_matches_reference_with_shared_permutation() -> None:
    objective = WMSE(dim=3, num_views=2, whiten_size=8, whiten_iters=2)
    views = [torch.randn(16, 3), torch.randn(16, 3)]
    loss = objective(*views, generator=torch.Generator().manual_seed(3))
    replay = torch.Generator().manual_seed(3)
    orders = [torch.randperm(16, generator=replay).view(-1, 8) for _ in range(2)]
    assert loss.item() == pytest.approx(_reference(views, orders, 0.0), rel=1e-4, abs=1e-5)


def test_gradient_reaches_every_view_in_fp32() -> None:
    objective = WMSE(dim=4, num_views=4)
    views = [torch.randn(16, 4, requires_grad=True) for _ in range(4)]
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = objective(*views)
    assert loss.dtype == torch.float32
    loss.backward()
    assert all(v.grad is not None and torch.isfinite(v.grad).all() and v.grad.abs().sum() > 0 for v in views)


def test_rank_deficient_embeddings_raise_user_error() -> None:
    objective = WMSE(dim=8)
    collapsed = torch.randn(32, 3) @ torch.randn(3, 8)  # rank 3 of 8, as after a partial collapse
    with pytest.raises(UserError, match="singular.*view 2.*lower the learning rate or raise the batch size / w_size"):
        objective(torch.randn(32, 8), collapsed)
    dead_unit = torch.randn(32, 8)
    dead_unit[:, 5] = 0.0
    with pytest.raises(UserError, match="singular"):
        objective(dead_unit, torch.randn(32, 8))


def test_non_finite_embeddings_raise_user_error() -> None:
    z = torch.randn(32, 8)
    z[3, 2] = float("nan")
    with pytest.raises(UserError, match="singular"):
        WMSE(dim=8)(z, torch.randn(32, 8))


def test_eps_shrinkage_rescues_a_singular_covariance() -> None:
    collapsed = torch.randn(32, 3) @ torch.randn(3, 8)
    assert torch.isfinite(WMSE(dim=8, eps=0.1)(torch.randn(32, 8), collapsed))


def test_configuration_errors() -> None:
    with pytest.raises(UserError, match="w_size"):
        WMSE(dim=8, whiten_size=8)
    with pytest.raises(UserError, match="multiple of w_size"):
        WMSE(dim=4, whiten_size=8)(torch.randn(12, 4), torch.randn(12, 4))
    with pytest.raises(ValueError, match="views"):
        WMSE(dim=4, num_views=4)(torch.randn(12, 4), torch.randn(12, 4))
    assert not WMSE(dim=4).needs_target and not WMSE(dim=4).needs_index


def test_sizes_that_cannot_whiten_stop_before_any_data_in_one_line(vmk, tmp_path):
    """n centred rows span n - 1 dims: 16 rows of 32-dim embeddings are singular by construction."""
    code, _, err = vmk("pretrain", "objective=wmse", "data.batch_size=16", f"hydra.run.dir={tmp_path / 'a'}")
    assert code == 2 and err.count("\n") == 1
    assert "W-MSE whitens data.batch_size=16 (whitened whole: objective.whiten_size=null) rows at a time, which must exceed model.embedding_dim=32" in err
    code, _, err = vmk("pretrain", "objective=wmse", "preset=paper", "data.batch_size=192", f"hydra.run.dir={tmp_path / 'b'}")
    assert code == 2 and "data.batch_size=192 must be a multiple of objective.whiten_size=128" in err
