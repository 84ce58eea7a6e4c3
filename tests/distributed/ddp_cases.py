"""What the DDP test runs, in the same code on both sides: one real training step of vmk's PretrainSystem
through Lightning (2 gloo ranks, or one process as the reference), and the gathered losses on their own.

Used by ddp_worker.py (each rank), torchrun_worker.py (each "node") and test_ddp_equivalence.py (the
one-process reference)."""

from __future__ import annotations

import torch
from omegaconf import OmegaConf

from viewmaker_cli.config import PretrainConfig
from viewmaker_cli.data.batches import StoredBatches
from viewmaker_cli.models.encoder import Normalizer
from viewmaker_cli.objectives.instdisc import InstDisc, InstDiscConfig
from viewmaker_cli.objectives.moco import MoCoConfig
from viewmaker_cli.objectives.simclr import SimCLR, SimCLRConfig
from viewmaker_cli.objectives.wmse import WMSE
from viewmaker_cli.training.module import PretrainSystem
from viewmaker_cli.training.trainer import trainer_kwargs

WORLD = 2
GLOBAL_BATCH = 8
# Training cases: config overrides. Alternating updates (the default) unless the case says otherwise.
CASES = {
    "simclr": {"objective": SimCLRConfig()},
    "instdisc": {"objective": InstDiscConfig(num_negatives=32, momentum=0.5)},
    "moco": {"objective": MoCoConfig(queue_size=40, temperature=0.2, ema=0.9)},
    "simclr_symmetric_simultaneous": {"objective": SimCLRConfig(symmetric=True), "views": {"update": "simultaneous"}},
}


def config(case: str, devices: int, num_nodes: int = 1):
    """vmk's full structured config at tiny sizes: what `vmk pretrain` would resolve."""
    cfg = OmegaConf.structured(PretrainConfig)
    cfg.merge_with({
        "data": {"batch_size": GLOBAL_BATCH},
        "model": {"width": 4, "embedding_dim": 16},
        "views": {"width": 4, "num_res_blocks": 1},
        "trainer": {"max_steps": 1, "log_every_n_steps": 1, "accelerator": "cpu", "devices": devices,
                    "num_nodes": num_nodes, "strategy": "ddp" if devices * num_nodes > 1 else "auto"},
    })
    cfg.merge_with(CASES[case])
    return cfg


def per_rank_batchnorm(module: torch.nn.Module, world: int) -> None:
    """One process computing what W ranks with per-rank BatchNorm compute: each rank's rows normalised by
    their own statistics (a 'ghost batch' per rank). vmk's DDP default is per-rank BN; SyncBatchNorm, the
    alternative, has no CPU kernel."""
    forward = module.forward
    module.forward = lambda x, *args, **kwargs: torch.cat([forward(part, *args, **kwargs) for part in x.chunk(world)])


def fit_one_step(case: str, devices: int, num_nodes: int = 1) -> dict:
    """One step of encoder and viewmaker on the same global batch; the parameters' gradients at each
    optimiser step (after any averaging over ranks) and the state afterwards."""
    import lightning as L

    cfg = config(case, devices, num_nodes)
    x = (torch.rand(16, 3, 12, 12, generator=torch.Generator().manual_seed(0)) * 255).to(torch.uint8)
    torch.manual_seed(0)
    system = PretrainSystem(OmegaConf.to_container(cfg, resolve=True), x, Normalizer.identity(3))
    if devices * num_nodes == 1:
        for module in (system.encoder, system.target):
            if module is not None:
                per_rank_batchnorm(module, WORLD)
    before = {k: v.clone() for k, v in system.state_dict().items()}
    grads = []
    configure = system.configure_optimizers

    def record_gradients():
        optimizers = configure()
        names = {p: n for n, p in system.named_parameters()}
        for label, opt in zip(("encoder", "viewmaker"), optimizers):
            params = [p for group in opt.param_groups for p in group["params"]]
            opt.register_step_pre_hook(lambda o, a, k, label=label, params=params: grads.append(
                (label, {names[p]: p.grad.clone() for p in params if p.grad is not None})))
        return optimizers

    system.configure_optimizers = record_gradients
    trainer = L.Trainer(**trainer_kwargs(cfg), logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, num_sanity_val_steps=0)
    torch.manual_seed(1)  # the same random draws in every rank and in the reference from here on
    trainer.fit(system, train_dataloaders=StoredBatches(x, GLOBAL_BATCH, cfg.seed))
    return {"before": before, "after": {k: v.clone() for k, v in system.state_dict().items()}, "grads": grads,
            "steps": trainer.global_step, "layout": (trainer.num_nodes, trainer.num_devices, trainer.node_rank)}


def embeddings() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(3)
    return torch.randn(GLOBAL_BATCH, 3, generator=generator), torch.randn(GLOBAL_BATCH, 3, generator=generator)


def losses(rows: slice) -> dict:
    """Each gathered loss on `rows` of the global batch (all of it for the reference): the loss and its
    gradient with respect to the rows given. Run under DDP, negatives come from every rank."""
    z1, z2 = embeddings()
    out = {}

    def run(name, objective, *, seed=None):
        a, b = z1[rows].clone().requires_grad_(), z2[rows].clone().requires_grad_()
        if seed is not None:
            torch.manual_seed(seed)
        loss = objective(a, b)
        loss.backward()
        out[name] = (loss.detach(), a.grad, b.grad)

    run("simclr", SimCLR(temperature=0.5))
    run("simclr_symmetric", SimCLR(temperature=0.5, symmetric=True))
    run("simclr_local_negatives", SimCLR(temperature=0.5, gather=lambda t: t))  # not gathered: must differ
    run("wmse", WMSE(dim=3))
    wmse_groups = WMSE(dim=3, whiten_size=4)  # whitening within random groups of 4 of the global batch
    run("wmse_groups", lambda a, b: wmse_groups(a, b, generator=torch.Generator().manual_seed(7)))
    torch.manual_seed(5)
    bank = InstDisc(num_examples=20, dim=3, num_negatives=6, temperature=0.5)
    index = torch.arange(GLOBAL_BATCH)[rows] * 2
    run("instdisc", lambda a, b: bank(a, b, index), seed=6)
    return out


def rank_streams() -> dict:
    """Draws inside `rank_rng` (expert views' per-example randomness) and right after it."""
    from viewmaker_cli.core.dist import rank_rng

    torch.manual_seed(8)
    with rank_rng(torch.device("cpu")):
        inside = torch.rand(4)
    return {"inside": inside, "after": torch.rand(4)}
