"""GPU-side properties of the training loop, proven on the CPU: torch.compile traces the networks and the
losses whole (no graph breaks) and does not recompile over a run of fixed-shape steps, and the steps between
two log steps read nothing back to the host (on CUDA each read is a device synchronisation)."""

from __future__ import annotations

import lightning as L
import pytest
import torch
from torch.overrides import TorchFunctionMode

from tests.training.test_views_by_modality import SMALL, config
from viewmaker_cli.core.device import optimizer_flags
from viewmaker_cli.data.batches import StoredBatches
from viewmaker_cli.models.encoder import Normalizer
from viewmaker_cli.objectives.table import OBJECTIVES, build_objective
from viewmaker_cli.training.module import PretrainSystem
from viewmaker_cli.views import Viewmaker
from viewmaker_cli.views.families import expert_views
from viewmaker_cli.views.noise import NoiseViews

# Calls that copy a tensor's value to the host (a sync on CUDA), or whose output shape depends on values.
HOST_READS = {"item", "tolist", "numpy", "cpu", "__bool__", "__int__", "__float__", "__index__", "nonzero",
              "masked_select", "unique", "argwhere"}


class HostReads(TorchFunctionMode):
    """Records every host read made while active."""

    def __init__(self):
        super().__init__()
        self.calls: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", str(func))
        # .to(a device object) is not counted: on the CPU it cannot tell the training device from the host.
        if name in HOST_READS or (name == "to" and "cpu" in (*args[1:], *(kwargs or {}).values())):
            self.calls.append(name)
        return func(*args, **(kwargs or {}))


def images(n: int = 16) -> torch.Tensor:
    return (torch.rand(n, 3, 16, 16) * 255).to(torch.uint8)


def reads_per_step(cfg: dict, monkeypatch, steps: int = 4) -> list[list[str]]:
    """The host reads of each training step of a real fit with no log step among them, with the optimisers'
    CUDA kernels (fused; torch has them for the CPU too): the CPU's default foreach Adam reads its step
    counter back once per parameter, which the fused kernel does not."""
    import viewmaker_cli.training.module as module

    monkeypatch.setattr(module, "optimizer_flags", lambda device: optimizer_flags("cuda"))
    torch.manual_seed(0)
    x, y = images(), torch.arange(16) % 4
    cfg["trainer"]["log_every_n_steps"] = 10_000
    system = PretrainSystem(cfg, x, Normalizer.identity(3), train_y=y, num_classes=4)
    per_step = []
    step, fit_start = system.training_step, system.on_fit_start

    def as_on_cuda():
        fit_start()
        system._views_in_one_call = True  # CUDA's form: both views in one viewmaker call

    system.on_fit_start = as_on_cuda

    def watched(*args, **kwargs):
        with HostReads() as reads:
            out = step(*args, **kwargs)
        per_step.append(reads.calls)
        return out

    system.training_step = watched
    trainer = L.Trainer(max_steps=steps, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, accelerator="cpu", devices=1)
    trainer.fit(system, train_dataloaders=StoredBatches(x, 8, 0))
    return per_step


def test_the_checker_sees_host_reads():
    with HostReads() as reads:
        t = torch.ones(3)
        t.sum().item(), bool(t.any()), t.tolist(), t.nonzero(), t.to("cpu")
    assert reads.calls == ["item", "__bool__", "tolist", "nonzero", "to"]


@pytest.mark.parametrize("objective", [name for name in OBJECTIVES if name != "wmse"])
def test_no_host_read_between_log_steps(objective, monkeypatch):
    per_step = reads_per_step(config("image", "learned", True, "after", objective), monkeypatch)
    assert len(per_step) == 4 and per_step == [[]] * 4


@pytest.mark.parametrize("update", ["simultaneous", "combined", "expert", "noise"])
def test_no_host_read_between_log_steps_in_the_other_modes(update, monkeypatch):
    views = "learned" if update == "simultaneous" else update
    cfg = config("image", views, True, "after")
    cfg["views"]["update"] = "alternating" if update != "simultaneous" else "simultaneous"
    assert reads_per_step(cfg, monkeypatch) == [[]] * 4


def test_wmse_reads_back_one_flag_per_loss_by_design(monkeypatch):
    """The exception, bounded: W-MSE checks that its whitening succeeded (a singular covariance must stop the
    run with a message, not train on NaN) with one boolean per loss evaluation: two per alternating step."""
    cfg = config("image", "learned", True, "after", "wmse")
    cfg["data"]["batch_size"] = 8
    assert reads_per_step(cfg, monkeypatch) == [["__bool__", "__bool__"]] * 4


def test_the_batches_are_made_without_host_reads():
    batches = StoredBatches(images(), 8, seed=0)
    with HostReads() as reads:
        for _, (x, index) in zip(range(5), batches):
            assert x.shape == (8, 3, 16, 16)
    assert reads.calls == []


def count_graphs():
    """A backend that counts the graphs Dynamo hands it (each compile or recompile) and runs them as traced."""
    graphs = []

    def backend(gm, example_inputs):
        graphs.append(gm)
        return gm.forward

    return graphs, backend


def test_encoder_and_viewmaker_compile_whole_and_once():
    torch._dynamo.reset()
    cfg = config("image", "learned", True, "after")
    system = PretrainSystem(cfg, images(), Normalizer.identity(3))
    for net, kwargs in ((system.encoder, {}), (Viewmaker(3, width=4, num_res_blocks=2), {"groups": 2})):  # as on CUDA
        graphs, backend = count_graphs()
        compiled = torch.compile(net, backend=backend, fullgraph=True)  # fullgraph: a graph break is an error
        for _ in range(4):
            compiled(torch.rand(8, 3, 16, 16), **kwargs).sum().backward()
        assert len(graphs) == 1, f"{type(net).__name__} recompiled"


@pytest.mark.parametrize("modality,name,shape,meta", [
    ("image", "simclr", (8, 3, 16, 16), {}), ("image", "crop_flip", (8, 3, 16, 16), {}),
    ("audio", "specaugment", (8, 1, 32, 32), {"mean": -5.0, "std": 4.0}),
    ("sensor", "spectral", (8, 52, 16, 16), {}), ("sensor", "spectral_noise", (8, 52, 16, 16), {}),
    ("image", "noise", (8, 3, 16, 16), {}),
])
def test_hand_made_views_compile_whole_and_once(modality, name, shape, meta):
    """Compiled with the networks (PretrainSystem.compiled_parts): their many small per-example operations
    fuse, and with CUDA graphs replay as one launch, only if nothing breaks the graph."""
    torch._dynamo.reset()
    views = NoiseViews(0.05) if name == "noise" else expert_views(modality, name, meta, 2, {})
    graphs, backend = count_graphs()
    compiled = torch.compile(views, backend=backend, fullgraph=True)
    for _ in range(4):
        out = compiled(torch.rand(shape))
        assert out.shape == shape and torch.isfinite(out).all()
    assert len(graphs) == 1, f"{name} recompiled"


@pytest.mark.parametrize("objective", list(OBJECTIVES))
def test_each_objective_loss_compiles_without_graph_breaks_and_once(objective):
    torch._dynamo.reset()
    settings = {"name": objective, **SMALL.get(objective, {})}
    batch, dim = 32, 8  # W-MSE whitens 8 dims: its covariance needs more rows than dims
    loss_fn = build_objective(settings, dim, num_examples=batch, num_classes=4)
    inputs = {}
    if loss_fn.needs_index:
        inputs["index"] = torch.arange(batch)
    if loss_fn.needs_labels:
        inputs["labels"] = torch.arange(batch) % 4
    graphs, backend = count_graphs()
    fullgraph = objective != "wmse"  # W-MSE's one check is a deliberate break (test above)

    def both(z1, z2, targets=None):
        extra = {**inputs, **({"targets": targets} if targets is not None else {})}
        return loss_fn(z1, z2, **extra), loss_fn.adversarial(z1, z2, **extra)

    compiled = torch.compile(both, backend=backend, fullgraph=fullgraph)
    counts = []
    for _ in range(4):
        z1, z2 = torch.randn(batch, dim, requires_grad=True), torch.randn(batch, dim, requires_grad=True)
        targets = (torch.randn(batch, dim), torch.randn(batch, dim)) if loss_fn.needs_target else None
        loss, adversarial = compiled(z1, z2, targets)
        (loss + adversarial).backward()
        counts.append(len(graphs))
    # One graph (W-MSE: each of its two losses split once at its check), and no recompilation after the first call.
    assert counts == [1 if fullgraph else 4] * 4, f"{objective}: graphs after each call {counts}"
