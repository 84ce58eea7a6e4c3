"""Where vmk computes: one answer to "CUDA if available", and the settings that follow from the device."""

from __future__ import annotations

import torch

from viewmaker_cli.errors import UserError

# Lightning's accelerator names that may mean a GPU.
GPU_ACCELERATORS = ("auto", "gpu", "cuda")


def pick_device(name: str = "auto", key: str = "device") -> torch.device:
    """`auto` (CUDA when torch sees a GPU, else the CPU), `cpu` or `cuda`; also Lightning's accelerator
    names (`gpu`). `key` names the setting in the error a user sees."""
    if name in ("auto", "gpu"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name not in ("cpu", "cuda"):
        raise UserError(f"{key}={name} is not supported (choose from: auto, cpu, cuda)")
    if name == "cuda" and not torch.cuda.is_available():
        raise UserError(f"{key}=cuda but torch sees no CUDA device (use {key}=cpu or {key}=auto)")
    return torch.device(name)


def accelerator_device(accelerator: str | None) -> torch.device:
    """The device a Lightning `trainer.accelerator` setting trains on: CUDA when it allows a GPU and there is one."""
    return torch.device("cuda" if accelerator in GPU_ACCELERATORS and torch.cuda.is_available() else "cpu")


def device_count(accelerator: str | None, devices) -> int:
    """How many processes Lightning runs on one machine for a plain `trainer.devices` value: a count (an int
    or "N"), ids ("0,1" or a list), or auto / -1 (every GPU torch sees; one process on the CPU)."""
    if isinstance(devices, str) and "," in devices:
        return len([d for d in devices.split(",") if d.strip()])
    if isinstance(devices, (list, tuple)):
        return len(devices)
    if devices in ("auto", -1, "-1"):
        return torch.cuda.device_count() if accelerator_device(accelerator).type == "cuda" else 1
    return int(devices)


def default_precision(accelerator: str | None) -> str:
    """bf16 autocast where training runs on CUDA, fp32 on the CPU."""
    return "bf16-mixed" if accelerator_device(accelerator).type == "cuda" else "32-true"


def optimizer_flags(device: torch.device | str) -> dict:
    """Keyword arguments for SGD / Adam on `device`: the fused kernels on CUDA (one launch for all
    parameters), the multi-tensor (`foreach`) ones elsewhere. Both compute what the per-parameter loop
    computes: foreach bit for bit (tested), fused up to rounding."""
    return {"fused": True} if torch.device(device).type == "cuda" else {"foreach": True}
