"""W-MSE (Ermolov et al. 2021): whiten each view's embeddings, then pull the views together with a normalised MSE."""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from viewmaker_cli.core import dist
from viewmaker_cli.errors import UserError
from viewmaker_cli.objectives.base import Objective
from viewmaker_cli.objectives.configs import WMSEConfig


def whiten(x: Tensor, eps: float = 0.0) -> tuple[Tensor, Tensor]:
    """Cholesky whitening of the rows of `x` [n, d] -> (whitened [n, d], ok: 0-dim bool tensor; no host sync).

    cov = (1 - eps)·cov(x) + eps·I (unbiased), L = cholesky(cov), whitened = (x - mean) @ L^-T (covariance I).
    Differentiable through the covariance and the factor, as in the authors' code.
    """
    xn = x - x.mean(dim=0, keepdim=True)
    cov = xn.T @ xn / (x.shape[0] - 1)
    eye = torch.eye(x.shape[1], dtype=x.dtype, device=x.device)
    cov = (1 - eps) * cov + eps * eye
    # cholesky_ex reports failure in `info` instead of raising, so the caller can check once per step.
    factor, info = torch.linalg.cholesky_ex(cov)
    whitened = torch.linalg.solve_triangular(factor, xn.T, upper=False).T
    # A rank-deficient covariance often "succeeds" in fp32 with a pivot at rounding level, and whitening then blows
    # noise up to unit variance. A pivot² below one ulp of the largest variance carries no information: singular.
    pivots = factor.diagonal().detach()
    resolvable = pivots.min().square() > torch.finfo(cov.dtype).eps * cov.diagonal().detach().max()
    return whitened, (info == 0) & resolvable & torch.isfinite(whitened).all()


class WMSE(Objective):
    """Loss = mean over view pairs (i < j) of 2 - 2·mean_rows cos(w(z_i), w(z_j)); in [0, 4].

    w whitens each view separately within chunks of `whiten_size` rows (a random split of the batch shared by all
    views; whiten_size=None: the whole batch), repeated `whiten_iters` times and averaged. Pass 2 or 4 views:
    `forward(z1, z2, *more_views)`. Always fp32 (Cholesky in bf16 fails). If the covariance is singular or the result
    is not finite, raises UserError (this costs one host sync per call). `adversarial` = -loss: W-MSE has no
    stop-gradient or target, so the viewmaker simply maximises the disagreement between whitened views. No
    after_step: the authors' running whitening statistics are off for this loss.

    Under DDP the whitening is over the global batch, as on the one device the method was run on (the
    authors' DataParallel gathers the whole batch before the loss): every rank gathers all ranks' embeddings
    with gradients (`gather`, default: the process group; the identity on one process) and computes the
    global loss. The gather's backward sums the W ranks' identical gradients, and DDP's mean over ranks
    divides them by W again, so each rank's gradients are those of the one-process loss. Whitening costs
    d×d per view: repeating it on every rank is cheaper than scattering the rows' shares back.
    """

    def __init__(
        self,
        dim: int,
        num_views: int = 2,
        whiten_size: int | None = None,
        eps: float = 0.0,
        whiten_iters: int = 1,
        gather: Callable[[Tensor], Tensor] | None = None,
    ) -> None:
        super().__init__()
        if num_views < 2:
            raise ValueError(f"W-MSE needs at least 2 views, got {num_views}")
        if not 0.0 <= eps <= 1.0:
            raise ValueError(f"eps must be in [0, 1], got {eps}")
        if whiten_iters < 1:
            raise ValueError(f"whiten_iters must be positive, got {whiten_iters}")
        if whiten_size is not None and whiten_size <= dim and eps == 0:
            # n centred rows span at most n - 1 dimensions, so the covariance could never be inverted.
            raise UserError(f"W-MSE w_size ({whiten_size}) must exceed the embedding dimension ({dim}), or set eps > 0")
        self.dim, self.num_views, self.whiten_size = dim, num_views, whiten_size
        self.eps, self.whiten_iters = eps, whiten_iters
        self.gather = gather or dist.all_gather

    @classmethod
    def from_config(cls, config: WMSEConfig, embedding_dim: int, num_examples: int, num_classes: int) -> WMSE:
        return cls(embedding_dim, 2, config.whiten_size, config.eps)

    def forward(
        self,
        z1: Tensor,
        z2: Tensor,
        *more_views: Tensor,
        index: Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        views = (z1, z2, *more_views)
        if len(views) != self.num_views:
            raise ValueError(f"W-MSE was built for {self.num_views} views, got {len(views)}")
        if any(v.dim() != 2 or v.shape != (z1.shape[0], self.dim) for v in views):
            shapes = [tuple(v.shape) for v in views]
            raise ValueError(f"expected {self.num_views} embeddings of shape [B, {self.dim}], got {shapes}")
        views = tuple(self.gather(v) for v in views)
        batch = views[0].shape[0]
        size = self.whiten_size or batch
        if batch % size:
            raise UserError(f"W-MSE: the batch size ({batch}) must be a multiple of w_size ({size})")
        # fp32 even under autocast: Cholesky of a near-singular covariance is hopeless in half precision.
        with torch.autocast(device_type=z1.device.type, enabled=False):
            views = tuple(v.float() for v in views)
            total, checks = z1.new_zeros((), dtype=torch.float32), []
            for _ in range(self.whiten_iters):
                order = self._order(batch, size, z1.device, generator)
                # Rows stay in the permuted order: every view uses the same order, so pairs still line up.
                whitened = []
                for view in views:
                    chunks = []
                    for rows in order:
                        out, ok = whiten(view[rows], self.eps)
                        chunks.append(out)
                        checks.append(ok)
                    whitened.append(torch.cat(chunks))
                for i in range(len(whitened)):
                    for j in range(i + 1, len(whitened)):
                        total = total + 2 - 2 * F.cosine_similarity(whitened[i], whitened[j], dim=1).mean()
            self._guard(torch.stack(checks), rows=size)
            pairs = len(views) * (len(views) - 1) // 2
            return total / (self.whiten_iters * pairs)

    @staticmethod
    def _order(batch: int, size: int, device: torch.device, generator: torch.Generator | None) -> Tensor:
        if size == batch:
            # Whitening the whole batch does not depend on row order: skip the permutation.
            return torch.arange(batch, device=device).view(1, batch)
        gen_device = device if generator is None else generator.device
        return torch.randperm(batch, generator=generator, device=gen_device).to(device).view(-1, size)

    def _guard(self, checks: Tensor, rows: int) -> None:
        if bool(checks.all()):  # the one host sync
            return
        failed = int((~checks).nonzero()[0, 0])
        chunks_per_view = checks.numel() // (self.whiten_iters * self.num_views)
        view = failed // chunks_per_view % self.num_views + 1
        raise UserError(
            f"the covariance of the embeddings became singular at W-MSE whitening (view {view}, {rows} rows × "
            f"{self.dim} dims); lower the learning rate or raise the batch size / w_size (or set eps > 0)"
        )
