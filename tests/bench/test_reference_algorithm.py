"""The bench's reference is the authors' loop (reference §2.1): per batch two full forward passes of both
networks, a backward after each, the encoder stepped first, the viewmaker second through the updated encoder."""

import torch

from viewmaker_cli.bench.reference import build_reference, reference_step
from viewmaker_cli.models.encoder import Normalizer, build_encoder
from viewmaker_cli.views.viewmaker import Viewmaker

CFG = {
    "model": {"arch": "resnet18_small", "width": 4, "embedding_dim": 8},
    "optim": {"lr": 0.03, "momentum": 0.9, "weight_decay": 1e-4},
    "views": {"lr": 1e-3, "loss_weight": 1.0},
    "objective": {"temperature": 0.07},
}


def test_one_batch_is_two_forward_backward_passes_that_update_both_networks():
    torch.manual_seed(0)
    encoder, viewmaker = build_encoder(CFG, 3), Viewmaker(3, width=4, num_res_blocks=1)
    model = build_reference(encoder, viewmaker, Normalizer.identity(3), CFG)
    before = {name: p.detach().clone() for name, p in [*encoder.named_parameters(), *viewmaker.named_parameters()]}
    events = []

    def watch(name):
        def hook(module, inputs, output):
            first_weight = next(module.parameters()).detach().sum().item()  # which weights this pass saw
            events.append((name, "forward", first_weight))
            if output.requires_grad:
                output.register_hook(lambda grad: events.append((name, "backward", None)))
        return hook

    encoder.register_forward_hook(watch("encoder"))
    viewmaker.register_forward_hook(watch("viewmaker"))
    steps = []
    for name, opt, other in (("encoder", model.encoder_opt, viewmaker), ("viewmaker", model.viewmaker_opt, encoder)):
        opt.register_step_pre_hook(lambda o, a, k, name=name, other=other: steps.append(
            (name, len(events), all(p.grad is None or not p.grad.any() for p in other.parameters()))))

    loss = reference_step(model, torch.rand(6, 3, 12, 12))

    assert torch.isfinite(loss)
    # Pass 1: two views, two embeddings, backward into the encoder only (the viewmaker is toggled off).
    # Pass 2: the same forward again, backward through the encoder's activations into the viewmaker.
    kinds = [(n, k) for n, k, _ in events]
    assert kinds.count(("viewmaker", "forward")) == 4 and kinds.count(("encoder", "forward")) == 4
    assert kinds.count(("encoder", "backward")) == 4 and kinds.count(("viewmaker", "backward")) == 2
    (first, at_first, clean_first), (second, at_second, clean_second) = steps
    assert (first, second) == ("encoder", "viewmaker") and at_first < at_second
    assert clean_first and clean_second, "each step's other network must hold no gradient"
    assert kinds[:at_first].count(("encoder", "forward")) == 2 and ("viewmaker", "backward") not in kinds[:at_first]
    # The second pass runs through the encoder as the first step left it.
    seen = [w for n, k, w in events if (n, k) == ("encoder", "forward")]
    assert seen[0] == seen[1] and seen[2] == seen[3] and seen[2] != seen[0]
    for prefix, module in (("encoder", encoder), ("viewmaker", viewmaker)):
        assert any(not torch.equal(p, before[n]) for n, p in module.named_parameters()), f"{prefix} not updated"
    # BatchNorm in train mode in both passes: its statistics moved once per encoder forward.
    assert int(encoder.stem[1].num_batches_tracked) == 4
    assert all(p.requires_grad for p in [*encoder.parameters(), *viewmaker.parameters()])
