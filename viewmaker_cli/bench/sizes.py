"""The sizes `vmk bench` times when not told: the GPU-sized model and batch on CUDA; on the CPU the
quickstart preset's model and batch (conf/preset/quickstart.yaml, conf/data/<modality>_quickstart.yaml) and
a few steps, where the full sizes take many minutes. A size given on the command line always wins."""

from __future__ import annotations

from collections.abc import Iterable

from omegaconf import OmegaConf

from viewmaker_cli.config import compose_group, config_dir
from viewmaker_cli.core.progress import plural

SIZES = ("auto", "quickstart", "full")
KEYS = ("model.width", "views.width", "bench.batch_size", "bench.warmup", "bench.steps")  # what a size sets
# A quickstart step of the authors' algorithm takes seconds on 2 CPU cores: 1 + 2 steps of each mode.
CPU_WARMUP, CPU_STEPS = 1, 2


def given_keys(overrides: Iterable[str]) -> set[str]:
    """The config keys set on the command line (Hydra's own parser: `+key=`, `~key`, quoting)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    return {o.key_or_group for o in OverridesParser.create().parse_overrides(list(overrides))}


def quickstart_sizes(modality: str) -> dict[str, int]:
    preset = OmegaConf.load(config_dir() / "preset" / "quickstart.yaml")
    data = compose_group("data", f"{modality}_quickstart")
    return {"model.width": preset.model.width, "views.width": preset.views.width, "bench.batch_size": data.batch_size,
            "bench.warmup": CPU_WARMUP, "bench.steps": CPU_STEPS}


def pick_sizes(size: str, cuda: bool, given: set[str], modality: str) -> dict[str, int]:
    """The sizes to set over the config's (full) ones: the quickstart's where `size` is quickstart, or auto
    without CUDA, except those given on the command line; none where the full sizes are to be timed."""
    if size == "full" or (size == "auto" and cuda):
        return {}
    return {key: value for key, value in quickstart_sizes(modality).items() if key not in given}


def describe(sizes: dict[str, int], full: dict[str, int], why: str) -> str:
    """The one line that says which sizes are timed and how to time the full ones."""
    def words(values: dict[str, int]) -> str:
        return (f"width {values['model.width']}, views width {values['views.width']}, batch {values['bench.batch_size']}, "
                f"{values['bench.warmup']} warm-up + {values['bench.steps']} timed {plural('step', values['bench.steps'])} per mode")

    return (f"{why}: timing the quickstart model ({words({**full, **sizes})}); pass bench.size=full for the full size "
            f"({words(full)})")
