"""Training with trainer.compile (compiled, or falling back to eager) and the optimisers' kernels per device; the
fallback itself and the kernels' equivalence are tested in tests/core."""

import logging

import lightning as L
import pytest
import torch

from viewmaker_cli.core import compile as compiling
from viewmaker_cli.core.device import optimizer_flags
from viewmaker_cli.data.batches import StoredBatches
from viewmaker_cli.models.encoder import Normalizer
from viewmaker_cli.training.module import PretrainSystem


def tiny_config(compile_setting, compile_mode: str = "default", views: str = "learned") -> dict:
    return {
        "budget": 0.05, "seed": 0,
        "modality": {"name": "image", "clamp": True, "normalize": "after"},
        "data": {"batch_size": 8},
        "model": {"arch": "resnet18_small", "width": 4, "embedding_dim": 16},
        "views": {"name": views, "expert": "simclr", "width": 4, "num_res_blocks": 1, "lr": 1e-3, "loss_weight": 1.0,
                  "update": "simultaneous"},
        "objective": {"name": "simclr", "temperature": 0.07, "symmetric": False},
        "optim": {"lr": 0.03, "momentum": 0.9, "weight_decay": 1e-4},
        "trainer": {"log_every_n_steps": 1, "compile": compile_setting, "compile_mode": compile_mode},
    }


def fit(compile_setting, steps: int = 2, compile_mode: str = "default", views: str = "learned") -> PretrainSystem:
    torch.manual_seed(0)
    x = (torch.rand(16, 3, 8, 8) * 255).to(torch.uint8)
    system = PretrainSystem(tiny_config(compile_setting, compile_mode, views), x, Normalizer.identity(3))
    trainer = L.Trainer(max_steps=steps, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, accelerator="cpu", devices=1)
    trainer.fit(system, train_dataloaders=StoredBatches(x, 8, seed=0))
    assert trainer.global_step == steps
    return system


@pytest.mark.parametrize("views", ["learned", "combined", "expert", "noise"])
def test_compiled_training_matches_eager_training(views, monkeypatch):
    graphs = []

    def tracing_backend(gm, example_inputs):  # Dynamo's graph, run as is: no code generation on the CPU
        graphs.append(gm)
        return gm.forward

    monkeypatch.setattr(compiling, "BACKEND", tracing_backend)
    torch._dynamo.reset()  # graphs from other tests in this process must not stand in for these
    compiled, eager = fit(True, views=views), fit(False, views=views)
    assert graphs, "nothing was compiled"
    parts = {"learned": ["encoder", "viewmaker"], "combined": ["encoder", "viewmaker", "expert views"],
             "expert": ["encoder", "views"], "noise": ["encoder", "views"]}[views]
    assert sorted(compiled.compiled_parts()) == sorted(parts)
    assert all(compiling.is_compiled(m) for m in compiled.compiled_parts().values())
    assert not any(compiling.is_compiled(m) for m in eager.compiled_parts().values())
    assert compiled.state_dict().keys() == eager.state_dict().keys()  # checkpoints keep their keys
    for (name, a), b in zip(compiled.state_dict().items(), eager.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6), name


def test_a_compiled_run_says_what_it_compiles_before_the_first_step(monkeypatch, caplog):
    monkeypatch.setattr(compiling, "BACKEND", lambda gm, example_inputs: gm.forward)
    torch._dynamo.reset()
    with caplog.at_level(logging.INFO, logger="vmk"):
        fit(True, steps=1, views="combined")
        fit(False, steps=1)
    lines = [r.getMessage() for r in caplog.records if "torch.compile" in r.getMessage()]
    assert lines == ["torch.compile (default): encoder, viewmaker, expert views; the first steps compile them"]


def test_with_cuda_graphs_each_training_step_is_marked_once_before_its_first_compiled_call(monkeypatch):
    calls = []
    monkeypatch.setattr(torch.compiler, "cudagraph_mark_step_begin", lambda: calls.append("mark"))

    def tracing_backend(gm, example_inputs):
        def run(*args):
            calls.append("graph")
            return gm.forward(*args)
        return run

    monkeypatch.setattr(compiling, "BACKEND", tracing_backend)
    torch._dynamo.reset()
    system = fit(True, steps=3, compile_mode="reduce-overhead")
    assert system.encoder._compiled_call_impl.mode == "reduce-overhead"
    steps = "".join("|" if c == "mark" else "g" for c in calls).split("|")
    assert steps[0] == "" and len(steps) == 4, "one mark per step, before any graph of the step runs"
    assert all(steps[1:]), "every step ran compiled graphs"


def test_a_failing_compile_warns_once_per_network_and_trains_eagerly(monkeypatch, caplog):
    def failing_compile(fn, **kwargs):  # as torch.compile fails at a first call (no compiler, no Triton, ...)
        def call(*args, **kw):
            raise torch._dynamo.exc.TorchDynamoException("no working C++ compiler")
        return call

    monkeypatch.setattr(torch, "compile", failing_compile)
    with caplog.at_level(logging.WARNING, logger="vmk"):
        system = fit(True, steps=3)
    warnings = [r.getMessage() for r in caplog.records if "torch.compile" in r.getMessage()]
    assert len(warnings) == 2 and any("encoder" in w for w in warnings) and any("viewmaker" in w for w in warnings)
    assert all("no working C++ compiler" in w for w in warnings)
    assert not compiling.is_compiled(system.encoder) and not compiling.is_compiled(system.viewmaker)
    reference = fit(False, steps=3)  # the fallback ran the very same steps
    for (name, a), b in zip(system.state_dict().items(), reference.state_dict().values()):
        assert torch.equal(a, b), name


def test_optimisers_use_fused_kernels_on_cuda_and_foreach_elsewhere():
    assert optimizer_flags("cuda") == {"fused": True}
    assert optimizer_flags(torch.device("cuda", 1)) == {"fused": True}
    assert optimizer_flags("cpu") == {"foreach": True}
    system = PretrainSystem(tiny_config(False), torch.zeros(16, 3, 8, 8, dtype=torch.uint8), Normalizer.identity(3))
    for optimizer in system.configure_optimizers():
        assert optimizer.defaults["foreach"] is True and not optimizer.defaults["fused"]


def test_a_bad_trainer_compile_value_is_one_line_and_exit_2(vmk, tmp_path):
    code, _, err = vmk("pretrain", "trainer.compile=sometimes", f"hydra.run.dir={tmp_path}")
    assert code == 2 and "trainer.compile=sometimes" in err and len(err.strip().splitlines()) == 1
    code, _, err = vmk("pretrain", "trainer.compile_mode=fast", f"hydra.run.dir={tmp_path}/mode")
    assert code == 2 and "trainer.compile_mode=fast" in err and "reduce-overhead" in err
    assert len(err.strip().splitlines()) == 1
