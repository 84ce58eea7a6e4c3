"""The authors' training step as their released code runs it (reference §2.1), for `vmk bench` to measure
vmk against. Built from vmk's own Viewmaker, ResNet and SimCLR loss, so that only the algorithm differs.

Their loop is PyTorch Lightning 0.9 automatic optimisation with two optimisers, [encoder SGD, viewmaker
Adam]. For every batch Lightning calls `training_step` once per optimiser, and each call is a fresh full
forward: new noise, two views, both through the encoder. So there are two full forward + backward passes
per batch, in fp32, eager, NCHW:

1. encoder pass: loss L, backward, SGD step, zero_grad;
2. viewmaker pass: the same forward again through the just-updated encoder, loss −w·L, backward, Adam step.

Before each pass Lightning's optimiser toggle sets requires_grad=False on every parameter and True again on
the stepping optimiser's (§2.1). So pass 1 builds no viewmaker parameter gradients (its views carry no
graph), and pass 2 builds no encoder parameter gradients while its gradient still flows back through the
encoder's activations into the viewmaker. BatchNorm is in train mode in both passes, so its running
statistics move twice per batch. Optimisers: torch 1.7's per-parameter loops (foreach off); zero_grad
writes zeros (torch 1.7 kept the gradient tensors).

What the bench leaves out of their costs: their per-item DataLoader work (§7.16), wandb logging (§7.20)
and validation. Batches come from the same device-resident tensor as vmk's, so the ratios vmk/reference
are, if anything, too small.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from viewmaker_cli.objectives.simclr import simclr_loss


@dataclass
class ReferenceModel:
    encoder: nn.Module
    viewmaker: nn.Module
    normalizer: nn.Module  # after the viewmaker for images, identity for z-scored inputs (§1.3)
    encoder_opt: torch.optim.Optimizer
    viewmaker_opt: torch.optim.Optimizer
    temperature: float = 0.07
    loss_weight: float = 1.0  # their view_maker_loss_weight


def build_reference(encoder: nn.Module, viewmaker: nn.Module, normalizer: nn.Module, cfg: dict) -> ReferenceModel:
    """The authors' optimisers around the given networks: SGD (lr, momentum, wd) for the encoder, Adam for
    the viewmaker; `cfg` is a pretrain config as a dict (optim, views, objective)."""
    o = cfg["optim"]
    encoder_opt = torch.optim.SGD(
        encoder.parameters(), lr=o["lr"], momentum=o["momentum"], weight_decay=o["weight_decay"], foreach=False
    )
    viewmaker_opt = torch.optim.Adam(viewmaker.parameters(), lr=cfg["views"]["lr"], foreach=False)
    return ReferenceModel(
        encoder, viewmaker, normalizer, encoder_opt, viewmaker_opt,
        temperature=cfg["objective"]["temperature"], loss_weight=cfg["views"]["loss_weight"],
    )


def _toggle(model: ReferenceModel, optimizer: torch.optim.Optimizer) -> None:
    """Lightning 0.9's toggle before each optimiser's training_step: only its parameters need gradients."""
    for module in (model.encoder, model.viewmaker):
        for p in module.parameters():
            p.requires_grad_(False)
    for group in optimizer.param_groups:
        for p in group["params"]:
            p.requires_grad_(True)


def _training_step(model: ReferenceModel, x: Tensor) -> Tensor:
    """Their forward (two viewmaker calls with independent noise, normalise, encode) and SimCLR loss."""
    v1, v2 = model.viewmaker(x), model.viewmaker(x)
    z1, z2 = model.encoder(model.normalizer(v1)), model.encoder(model.normalizer(v2))
    return simclr_loss(z1, z2, model.temperature)


def reference_step(model: ReferenceModel, x: Tensor) -> Tensor:
    """One batch of the authors' algorithm: both passes, both updates. Returns the encoder's loss."""
    try:
        _toggle(model, model.encoder_opt)
        loss = _training_step(model, x)
        loss.backward()
        model.encoder_opt.step()
        model.encoder_opt.zero_grad(set_to_none=False)

        _toggle(model, model.viewmaker_opt)
        adversarial = -model.loss_weight * _training_step(model, x)
        adversarial.backward()
        model.viewmaker_opt.step()
        model.viewmaker_opt.zero_grad(set_to_none=False)
    finally:  # Lightning left the last toggle in place; here the networks are handed back trainable
        for module in (model.encoder, model.viewmaker):
            module.requires_grad_(True)
    return loss.detach()
