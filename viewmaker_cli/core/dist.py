"""Collectives over W ranks, for any layer (objectives gather negatives, training averages gradients):
which rows of the global batch a rank trains on, gathers that carry gradients back to the rows' owner,
and the gradient all-reduce of vmk's two-optimiser step. Lightning's side of DDP is in training/ddp.py.

The contract every part relies on:

- `data.batch_size` is the global batch B. Batch k is the same B rows in the same order as on one process
  (`DataOrder`); rank r trains on rows [r·B/W, (r+1)·B/W), so B must be a multiple of W.
- Every rank is seeded alike and draws the same random numbers in the same order (Lightning re-seeds every
  rank with the run's seed at setup). What must be the same on every rank (InstDisc's negatives) or must
  differ between the rows of different ranks (the viewmaker's noise) is drawn for the whole global batch
  and sliced: the global batch then sees exactly the draws one process would make.
- Each rank's loss is its own rows' share (a mean over its anchors, against negatives gathered from every
  rank); the mean of the ranks' losses is the one-process loss and the mean of their gradients its
  gradient. `all_gather` sums, on the way back, the gradients every rank's loss sends to a row into the
  rank that owns the row, and `average_gradients` averages the parameter gradients.

With one process (no process group, or a group of one) every function here is the identity or a no-op.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch
import torch.distributed as dist
from torch import Tensor


def world_size() -> int:
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def rank() -> int:
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def local_rows(global_size: int) -> slice:
    """This rank's rows of a global batch of `global_size` rows."""
    world = world_size()
    if global_size % world:
        raise ValueError(f"a global batch of {global_size} rows does not split over {world} ranks")
    n = global_size // world
    return slice(rank() * n, (rank() + 1) * n)


def all_gather(x: Tensor) -> Tensor:
    """Every rank's `x` (same shape on all), concatenated along dim 0 in rank order: the global batch's rows
    in their global order. Differentiable: the backward pass sums the gradients from every rank's loss into
    the rank that owns the rows. The identity on one process."""
    if world_size() == 1:
        return x
    # torch.distributed.nn.functional.all_gather is deprecated in favour of the functional collectives,
    # whose all-gather is autograd-aware (backward: reduce-scatter with SUM) and works under torch.compile.
    from torch.distributed import _functional_collectives as fc

    gathered = fc.all_gather_single_autograd(x.contiguous(), 0, dist.group.WORLD)
    return gathered if x.requires_grad and torch.is_grad_enabled() else fc.wait_tensor(gathered)


def average_gradients(*optimizers) -> None:
    """Average the `.grad` of the optimisers' parameters over ranks in place, as one flat all-reduce per
    dtype (no-op on one process). Call it between `manual_backward` and the optimisers' `step`.

    vmk's step runs two backward passes (encoder, then viewmaker) inside one forward of the DDP-wrapped
    module, and each pass leaves the other network's parameters without gradients. DDP's own reducer
    wants one backward per forward in which every parameter is used (otherwise find_unused_parameters,
    which walks the autograd graph at every backward) — so the reducer is kept out of the backward passes
    (`reducer_off`) and each optimiser's gradients are averaged here, right before its step: one
    collective per optimiser per step, no graph walks. It gives up DDP's overlap of communication with the
    backward pass, which costs little next to the two views' forward and backward passes.
    A parameter without a gradient has none on every rank (all ranks run the same graph) and is skipped.
    """
    world = world_size()
    if world == 1:
        return
    grads: dict[tuple, list[Tensor]] = {}
    for p in (p for opt in optimizers for group in opt.param_groups for p in group["params"]):
        if p.grad is not None:
            grads.setdefault((p.grad.dtype, p.grad.device), []).append(p.grad)
    for group in grads.values():
        flat = torch.cat([g.reshape(-1) for g in group])
        dist.all_reduce(flat)
        flat.div_(world)
        torch._foreach_copy_(group, [part.view_as(g) for part, g in zip(flat.split([g.numel() for g in group]), group)])


@contextmanager
def rank_rng(device: torch.device, enabled: bool = True) -> Iterator[None]:
    """Under DDP, random draws inside come from a stream of this rank's own. For view modules that draw
    per-example randomness only for the rows they are given (expert augmentations): ranks seeded alike
    would otherwise give the rows of every rank the same crops and masks. The stream's seed is one draw
    from the shared CPU stream (no device sync), so it follows from the run's seed, the step and the call,
    and the shared stream moves on alike on every rank. On one process: nothing changes."""
    if not enabled or world_size() == 1:
        yield
        return
    seed = int(torch.randint(2**62, (1,)))
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else [], device_type=device.type):
        torch.manual_seed(seed + rank())
        yield


def any_rank(flag: Tensor) -> Tensor:
    """True on every rank if `flag` (a bool tensor) is true on any rank."""
    if world_size() == 1:
        return flag
    as_int = flag.to(torch.int32).clone()
    dist.all_reduce(as_int, op=dist.ReduceOp.MAX)
    return as_int.bool()


def mean_over_ranks(x: Tensor) -> Tensor:
    """The mean of `x` over ranks (the global loss from the ranks' shares); for logging, not for backward."""
    if world_size() == 1:
        return x
    total = x.detach().float().clone()
    dist.all_reduce(total)
    return total / world_size()
