"""What `vmk bench` times: the authors' step, vmk's real training step in each mode, and the encoder alone.

vmk's modes run `PretrainSystem` (the module `vmk pretrain` trains) in a short Lightning fit, with the
precision, channels_last, compile and optimiser settings `vmk pretrain` would use; a callback reads the
clock (after a device synchronise) when the timed steps start and end. The reference and the encoder
ceiling are plain loops timed the same way.
"""

from __future__ import annotations

import copy
import gc
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import lightning as L
import torch
from torch import Tensor

from viewmaker_cli.bench import profile
from viewmaker_cli.bench.reference import build_reference, reference_step
from viewmaker_cli.core.compile import compile_enabled, compile_module, is_compiled, mark_step_begin
from viewmaker_cli.core.device import optimizer_flags
from viewmaker_cli.data.batches import StoredBatches
from viewmaker_cli.data.splits import model_space
from viewmaker_cli.models.encoder import Normalizer, build_encoder
from viewmaker_cli.objectives.simclr import simclr_loss
from viewmaker_cli.training.module import PretrainSystem
from viewmaker_cli.views.families import build_views

# mode -> (views.name, views.update, what it is)
MODES: dict[str, tuple[str | None, str | None, str]] = {
    "reference": (None, None, "the authors' algorithm: fp32, eager, NCHW, two full forward+backward passes"),
    "alternating": ("learned", "alternating", "vmk, learned views, the authors' update order"),
    "simultaneous": ("learned", "simultaneous", "vmk, learned views, one pass with gradient reversal"),
    "expert": ("expert", "alternating", "vmk, expert views (encoder only)"),
    "noise": ("noise", "alternating", "vmk, noise views on the same budget (encoder only)"),
    "encoder": (None, None, "encoder alone on two fixed views (the ceiling)"),
}


@dataclass
class Setup:
    """Everything every mode shares: the data on the device, the pretrain config, how to run."""

    cfg: dict  # a full pretrain config as a dict (the bench's settings filled in)
    data: Tensor  # [N, C, H, W] on the device, stored as vmk stores the modality
    normalizer: Normalizer
    meta: dict
    device: torch.device
    precision: str  # for vmk's modes and the ceiling; the reference is always fp32
    warmup: int
    steps: int
    out: Path  # the run dir: where profile-<mode>.txt goes
    profile: int = 0  # steps profiled after the timed ones (bench.profile)

    def profile_path(self, mode: str) -> Path:
        return self.out / f"profile-{mode}.txt"

    @property
    def batch_size(self) -> int:
        return self.cfg["data"]["batch_size"]


def _clock(device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter()


def _summary(setup: Setup, first: float, start: float, end: float, compiled: bool | None) -> dict:
    step_s = (end - start) / setup.steps
    warmup_s = start - first
    # Compiling happens in the first steps: what they took beyond ordinary steps.
    compile_s = max(0.0, warmup_s - setup.warmup * step_s) if compiled and setup.warmup else None
    peak = torch.cuda.max_memory_allocated(setup.device) / 2**20 if setup.device.type == "cuda" else None
    return {
        "images_per_s": setup.batch_size / step_s,
        "step_ms": 1000 * step_s,
        "warmup_s": warmup_s,
        "compile_s": compile_s,
        "compiled": compiled,
        "peak_memory_mib": peak,
    }


def _time_loop(setup: Setup, mode: str, step: Callable[[int], object], compiled: bool | None) -> dict:
    first = _clock(setup.device)
    for k in range(setup.warmup):
        step(k)
    start = _clock(setup.device)
    total = setup.warmup + setup.steps
    for k in range(setup.warmup, total):
        step(k)
    end = _clock(setup.device)
    result = _summary(setup, first, start, end, compiled)
    if setup.profile:
        profiler = profile.start(setup.device)
        for k in range(total, total + setup.profile):
            step(k)
        result["profile"] = profile.stop_and_write(profiler, setup.device, setup.profile_path(mode), setup.profile)
    return result


def _batch(setup: Setup, k: int) -> Tensor:
    """Batch k as vmk's gather makes it: a slice of the device-resident set, uint8 images to [0,1]."""
    n = setup.data.shape[0] // setup.batch_size
    x = setup.data[(k % n) * setup.batch_size : (k % n + 1) * setup.batch_size]
    return model_space(x)


def run_reference(setup: Setup) -> dict:
    channels, dims = setup.data.shape[1], setup.data.ndim - 2
    cfg = copy.deepcopy(setup.cfg)
    cfg["views"]["name"] = "learned"
    encoder = build_encoder(cfg, channels, dims).to(setup.device)
    _, viewmaker = build_views(cfg, channels, dims, setup.meta)
    model = build_reference(encoder, viewmaker.to(setup.device), setup.normalizer.to(setup.device), cfg)
    return _time_loop(setup, "reference", lambda k: reference_step(model, _batch(setup, k)), compiled=False)


def run_encoder(setup: Setup) -> dict:
    """The encoder's share of any mode: two fixed views through it, SimCLR, SGD, with vmk's precision,
    memory format, compile and optimiser settings. No mode can be faster."""
    channels, dims = setup.data.shape[1], setup.data.ndim - 2
    encoder = build_encoder(setup.cfg, channels, dims).to(setup.device)
    x1 = setup.normalizer.to(setup.device)(_batch(setup, 0))
    x2 = x1 + 0.01 * torch.randn_like(x1)
    if setup.device.type == "cuda" and dims == 2:
        encoder = encoder.to(memory_format=torch.channels_last)
        x1, x2 = (v.contiguous(memory_format=torch.channels_last) for v in (x1, x2))
    t = setup.cfg["trainer"]
    compiled = compile_enabled(t["compile"], setup.device) and compile_module(encoder, "encoder", t["compile_mode"])
    o = setup.cfg["optim"]
    opt = torch.optim.SGD(encoder.parameters(), lr=o["lr"], momentum=o["momentum"], weight_decay=o["weight_decay"],
                          **optimizer_flags(setup.device))
    bf16 = setup.precision.startswith("bf16")

    def step(k: int) -> None:
        mark_step_begin(encoder)
        with torch.autocast(setup.device.type, dtype=torch.bfloat16, enabled=bf16):
            loss = simclr_loss(encoder(x1), encoder(x2), setup.cfg["objective"]["temperature"])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    result = _time_loop(setup, "encoder", step, compiled)
    result["compiled"] = compiled and is_compiled(encoder)
    return result


class _StepTimer(L.Callback):
    """The clock before the first batch, before the first timed batch and after the last: a timed step is
    a whole turn of the loop, making its batch included (as in the plain loops' `step(k)`). Then, with
    bench.profile, that many more steps under the profiler."""

    def __init__(self, setup: Setup, mode: str, total: int):
        self.setup, self.mode = setup, mode
        self.device, self.warmup, self.total = setup.device, setup.warmup, total
        self.first = self.start = self.end = None
        self.profiler = self.profile_file = None

    def on_train_start(self, trainer, module) -> None:
        self.first = _clock(self.device)
        if self.warmup == 0:
            self.start = self.first

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        if trainer.global_step == self.warmup:  # the warm-up steps are done
            self.start = _clock(self.device)
        if trainer.global_step == self.total:
            self.end = _clock(self.device)
            if self.setup.profile:
                self.profiler = profile.start(self.device)
        if self.profiler is not None and trainer.global_step == self.total + self.setup.profile:
            self.profile_file = profile.stop_and_write(self.profiler, self.device, self.setup.profile_path(self.mode),
                                                  self.setup.profile)
            self.profiler = None


def run_vmk(setup: Setup, mode: str, views: str, update: str) -> dict:
    """vmk's own training step, through a Lightning fit of the module `vmk pretrain` trains."""
    cfg = copy.deepcopy(setup.cfg)
    cfg["views"]["name"], cfg["views"]["update"] = views, update
    system = PretrainSystem(cfg, setup.data, setup.normalizer, meta=setup.meta)
    batches = StoredBatches(setup.data, setup.batch_size, cfg["seed"])  # the data is on the device already
    total = setup.warmup + setup.steps
    timer = _StepTimer(setup, mode, total)
    trainer = L.Trainer(
        max_steps=total + setup.profile, max_epochs=-1, precision=setup.precision, devices=1,
        accelerator="cuda" if setup.device.type == "cuda" else "cpu", benchmark=setup.device.type == "cuda",
        logger=False, enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
        num_sanity_val_steps=0, callbacks=[timer],
    )
    trainer.fit(system, train_dataloaders=batches)
    system.raise_if_diverged()
    compiled = compile_enabled(cfg["trainer"]["compile"], setup.device)
    if compiled:  # a fallback at the first call leaves the module eager
        compiled = all(is_compiled(m) for m in system.compiled_parts().values())
    result = _summary(setup, timer.first, timer.start, timer.end, compiled)
    if timer.profile_file:
        result["profile"] = timer.profile_file
    return result


def run_mode(setup: Setup, mode: str) -> dict:
    """Time one mode on a clean device: same seed, peak memory counted from here."""
    gc.collect()
    if setup.device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(setup.device)
    torch.manual_seed(setup.cfg["seed"])
    if compile_enabled(setup.cfg["trainer"]["compile"], setup.device):
        # Every mode compiles from scratch: its compile time is its own, and the networks' forwards do not
        # pile up graphs from earlier modes against Dynamo's recompile limit.
        from torch import _dynamo

        _dynamo.reset()
    views, update, _ = MODES[mode]
    if mode == "reference":
        return run_reference(setup)
    if mode == "encoder":
        return run_encoder(setup)
    return run_vmk(setup, mode, views, update)
