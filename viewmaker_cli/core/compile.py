"""torch.compile with an eager fallback (`trainer.compile`): compiled where it pays, never a failed run."""

from __future__ import annotations

import logging

import torch
from torch import nn

from viewmaker_cli.errors import UserError

log = logging.getLogger("vmk")

# Tests swap in a backend that runs Dynamo's graph as traced (no code generation: seconds, not minutes, on
# a CPU) or one that fails.
BACKEND = "inductor"
COMPILE_SETTINGS = ("auto", True, False)
# torch.compile's modes (`trainer.compile_mode`). reduce-overhead replays each compiled graph as a CUDA graph:
# one launch instead of hundreds, which is what the small convolutions of a 32x32 ResNet-18 wait on
# (measured on an H200: the encoder's compiled step took 24.8 ms, all of it spent enqueueing ~790 kernels;
# 7.6 ms with CUDA graphs). On the CPU Inductor skips the graphs and it is the default mode.
COMPILE_MODES = ("reduce-overhead", "default", "max-autotune", "max-autotune-no-cudagraphs")
GRAPH_MODES = ("reduce-overhead", "max-autotune")


def compile_enabled(setting, device: torch.device | str) -> bool:
    """`trainer.compile`: auto = on for CUDA (where it pays), off on the CPU (minutes of compiling for
    little gain); true / false force it."""
    if isinstance(setting, bool):
        return setting
    if setting == "auto":
        return torch.device(device).type == "cuda"
    raise UserError(f"trainer.compile={setting} is not supported (choose from: auto, true, false)")


class CompiledCall:
    """Stands in for a module's call: the compiled call until compiling fails, then the eager one.

    Compilation is lazy, so a failure surfaces at a call. Dynamo compiles a frame before it runs it (vmk's
    networks compile whole, without graph breaks), so nothing of the call has happened yet; and with the backward graph lowered together with the
    forward one (below) a failing backward surfaces there too, not halfway through an update. So the
    same call can simply be made again eagerly. Errors that are not compile errors (e.g. out of memory)
    pass through.

    Only calls with the first call's input shape (the training batch) run compiled. Others (the view
    grid's few inputs every N steps, probes) run eagerly: they would cost a recompile, and Dynamo's
    answer to a second shape is a dynamic-shape graph that the training batches could then land on.
    """

    def __init__(self, module: nn.Module, name: str, mode: str = "default"):
        from torch._dynamo.exc import TorchDynamoException  # imported with torch.compile, not before

        self.errors = TorchDynamoException
        self.name, self.failed, self.shape, self.mode = name, False, None, mode
        self.eager = module._call_impl
        # The modes are Inductor's; torch.compile hands them to any other backend as an argument it may not take.
        self.compiled = torch.compile(self.eager, backend=BACKEND, mode=mode if BACKEND == "inductor" else None)

    def __call__(self, *args, **kwargs):
        shape = args[0].shape if args and isinstance(args[0], torch.Tensor) else None
        if self.shape is None:
            self.shape = shape
        if not self.failed and shape == self.shape:
            try:
                return self.compiled(*args, **kwargs)
            except self.errors as error:
                self.fall_back(error)
        return self.eager(*args, **kwargs)

    def fall_back(self, error: BaseException) -> None:
        self.failed = True
        cause = getattr(error, "inner_exception", None) or error  # a backend's own error, not Dynamo's wrapper
        first = (str(cause).strip().splitlines() or [""])[0][:200]
        log.warning("torch.compile failed for the %s, running it eagerly (%s: %s)", self.name, type(cause).__name__, first)


def check_mode(mode: str) -> str:
    if mode not in COMPILE_MODES:
        raise UserError(f"trainer.compile_mode={mode} is not supported (choose from: {', '.join(COMPILE_MODES)})")
    return mode


def compile_module(module: nn.Module, name: str, mode: str = "default") -> bool:
    """Compile `module`'s calls in place, as `nn.Module.compile` does: the module, its state_dict keys
    and checkpoints stay the same; `features()` and other methods stay eager. False (with a warning) if
    torch.compile refuses at once (e.g. an unsupported Python)."""
    # Lower each backward graph when its forward compiles, so that a failing backward compile shows at the
    # forward call, where CompiledCall can still run the call eagerly (the default lowers it lazily, in
    # the middle of the update).
    check_mode(mode)  # a wrong setting is the user's to fix, not a reason to train eagerly
    try:
        import torch._functorch.config as functorch_config

        functorch_config.force_non_lazy_backward_lowering = True
        module._compiled_call_impl = CompiledCall(module, name, mode)
    except Exception as error:  # noqa: BLE001 -- any refusal means: train eagerly
        log.warning("torch.compile is not available for the %s, running it eagerly (%s: %s)", name, type(error).__name__, error)
        return False
    return True


def mark_step_begin(*modules: nn.Module | None) -> None:
    """Tell CUDA graphs that a training step begins: the previous step's graph outputs may now be
    overwritten. Without it Inductor cannot tell a new step from more calls in the same one (a step calls
    each network several times: two views, two updates). Only where some network runs with CUDA graphs."""
    if any(getattr(getattr(m, "_compiled_call_impl", None), "mode", None) in GRAPH_MODES for m in modules):
        torch.compiler.cudagraph_mark_step_begin()


def is_compiled(module: nn.Module | None) -> bool:
    """Whether `module` runs compiled (so far: a failure at a later first call turns it off)."""
    call = getattr(module, "_compiled_call_impl", None)
    return isinstance(call, CompiledCall) and not call.failed
