"""Which parameters each update touches, in both update orders, through a real Lightning fit."""

import lightning as L
import pytest
import torch

from viewmaker_cli.data.batches import StoredBatches
from viewmaker_cli.errors import UserError
from viewmaker_cli.models.encoder import Normalizer
from viewmaker_cli.training.module import PretrainSystem, reverse_grad


def tiny_config(update: str, views: str = "learned") -> dict:
    return {
        "budget": 0.05,
        "seed": 0,
        "modality": {"name": "image", "clamp": True, "normalize": "after"},
        "data": {"batch_size": 8},
        "model": {"arch": "resnet18_small", "width": 4, "embedding_dim": 16},
        "views": {"name": views, "width": 4, "num_res_blocks": 1, "lr": 1e-3, "loss_weight": 1.0, "update": update},
        "objective": {"name": "simclr", "temperature": 0.07, "symmetric": False},
        "optim": {"lr": 0.03, "momentum": 0.9, "weight_decay": 1e-4},
        "trainer": {"log_every_n_steps": 1},
    }


def fit_one_step(update: str, views: str = "learned"):
    """Run one batch; record, at each optimizer step, which networks hold gradients."""
    torch.manual_seed(0)
    x = (torch.rand(16, 3, 12, 12) * 255).to(torch.uint8)
    system = PretrainSystem(tiny_config(update, views), x, Normalizer.identity(3))
    before = {k: v.detach().clone() for k, v in system.state_dict().items()}
    seen = []

    def has_grads(module):
        return [p.grad is not None and p.grad.abs().sum() > 0 for p in module.parameters()]

    configure = system.configure_optimizers

    def configure_with_hooks():
        optimizers = configure()
        optimizers = optimizers if isinstance(optimizers, list) else [optimizers]
        for name, opt in zip(("encoder", "viewmaker"), optimizers):
            opt.register_step_pre_hook(
                lambda o, a, k, name=name: seen.append((name, has_grads(system.encoder), has_grads(system.view)))
            )
        return optimizers

    system.configure_optimizers = configure_with_hooks
    trainer = L.Trainer(max_steps=1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, accelerator="cpu", devices=1)
    trainer.fit(system, train_dataloaders=StoredBatches(x, 8, seed=0))
    return system, before, seen, trainer


def changed(system, before, prefix):
    return [not torch.equal(v, before[k]) for k, v in system.state_dict().items()
            if k.startswith(prefix) and v.is_floating_point() and "running" not in k and "num_batches" not in k]


def test_alternating_encoder_step_has_no_viewmaker_grads_and_viewmaker_step_no_encoder_grads():
    system, before, seen, trainer = fit_one_step("alternating")
    assert [s[0] for s in seen] == ["encoder", "viewmaker"]
    _, enc_grads, vm_grads = seen[0]
    assert all(enc_grads) and not any(vm_grads)
    _, enc_grads, vm_grads = seen[1]
    assert not any(enc_grads), "viewmaker step must not build encoder parameter gradients"
    assert sum(vm_grads) > 0.9 * len(vm_grads)  # (conv biases before InstanceNorm get ~0 gradient)
    assert any(changed(system, before, "encoder.")) and any(changed(system, before, "viewmaker."))
    assert trainer.global_step == 1, "one global step per batch, so trainer.max_steps counts batches"
    assert all(p.requires_grad for p in system.encoder.parameters())


def test_simultaneous_one_backward_feeds_both_networks():
    system, before, seen, trainer = fit_one_step("simultaneous")
    assert [s[0] for s in seen] == ["encoder", "viewmaker"]
    for _, enc_grads, vm_grads in seen:
        assert all(enc_grads) and sum(vm_grads) > 0.9 * len(vm_grads)
    assert any(changed(system, before, "encoder.")) and any(changed(system, before, "viewmaker."))
    assert trainer.global_step == 1


def test_noise_views_train_the_encoder_alone():
    system, before, seen, trainer = fit_one_step("alternating", views="noise")
    assert [s[0] for s in seen] == ["encoder"] and all(seen[0][1])
    assert system.viewmaker is None and not list(system.view.parameters())
    assert any(changed(system, before, "encoder.")) and trainer.global_step == 1


def test_reverse_grad_is_identity_forward_and_negated_scaled_backward():
    x = torch.randn(5, requires_grad=True)
    y = reverse_grad(x, 0.5)
    assert torch.equal(y, x)
    (y * torch.arange(5.0)).sum().backward()
    assert torch.allclose(x.grad, -0.5 * torch.arange(5.0))


def test_a_frozen_viewmaker_makes_views_but_is_not_updated():
    config = tiny_config("alternating")
    config["views"]["freeze_epoch"] = 0
    torch.manual_seed(0)
    x = (torch.rand(16, 3, 12, 12) * 255).to(torch.uint8)
    system = PretrainSystem(config, x, Normalizer.identity(3))
    before = {k: v.clone() for k, v in system.state_dict().items()}
    trainer = L.Trainer(max_steps=2, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, accelerator="cpu", devices=1)
    trainer.fit(system, train_dataloaders=StoredBatches(x, 8, seed=0))
    assert not any(changed(system, before, "viewmaker.")) and any(changed(system, before, "encoder."))


def test_an_objective_that_needs_dataset_indices_refuses_sampled_windows():
    config = tiny_config("alternating")
    config["objective"] = {"name": "instdisc", "num_negatives": 8}
    config["data"]["name"] = "pamap2"
    with pytest.raises(UserError, match="objective=instdisc needs indexed examples; data=pamap2 draws windows"):
        PretrainSystem(config, torch.zeros(16, 3, 8, 8), Normalizer.identity(3), indexed=False)


def test_double_update_follows_the_authors_order_within_a_step():
    """InstDisc's second bank write comes after the viewmaker's loss, with the viewmaker pass's embeddings:
    the viewmaker's loss sees the bank after exactly one write (the encoder pass's)."""
    from viewmaker_cli.objectives.instdisc import InstDisc

    torch.manual_seed(0)
    x = (torch.rand(16, 3, 12, 12) * 255).to(torch.uint8)
    config = tiny_config("alternating")
    config["objective"] = {"name": "instdisc", "temperature": 0.07, "num_negatives": 8, "momentum": 0.5, "double_update": True}
    system = PretrainSystem(config, x, Normalizer.identity(3))
    objective = system.objective
    events, depth = [], [0]
    for name in ("forward", "adversarial", "after_step", "after_viewmaker_step"):
        method = getattr(InstDisc, name)

        def spy(*args, _method=method, _name=name, **kwargs):  # the loop's calls, not the objective's own
            if depth[0] == 0:
                events.append((_name, objective.bank.clone(), args[1].detach().clone()))
            depth[0] += 1
            try:
                return _method(*args, **kwargs)
            finally:
                depth[0] -= 1

        setattr(objective, name, spy.__get__(objective))
    trainer = L.Trainer(max_steps=1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, accelerator="cpu", devices=1)
    trainer.fit(system, train_dataloaders=StoredBatches(x, 8, seed=0))

    names = [name for name, *_ in events]
    assert names == ["forward", "after_step", "adversarial", "after_viewmaker_step"]
    (_, bank_at_loss, z), (_, bank_before_write, z_written), (_, bank_at_adversarial, w), (_, bank_before_second, w_written) = events
    assert torch.equal(bank_at_loss, bank_before_write) and torch.equal(z, z_written)
    assert not torch.equal(bank_at_adversarial, bank_at_loss)  # the first write happened before the viewmaker's loss
    assert torch.equal(bank_before_second, bank_at_adversarial)  # and only that one
    assert torch.equal(w, w_written) and not torch.equal(w, z)  # the second write uses the viewmaker pass's embeddings
    assert not torch.equal(objective.bank, bank_at_adversarial)
