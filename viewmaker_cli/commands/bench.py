"""`vmk bench`: images/s of the authors' algorithm and of vmk's training steps, on this machine, on random
data of one modality's shape; a table on the console and bench.json in the run dir."""

from __future__ import annotations

import json
import logging
import platform
import time
from pathlib import Path

import torch
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf
from rich.console import Console
from rich.table import Table

from viewmaker_cli.bench.modes import MODES, Setup, run_mode
from viewmaker_cli.bench.sizes import KEYS, describe, given_keys, pick_sizes
from viewmaker_cli.config import ModalityConfig, PretrainConfig, compose_group
from viewmaker_cli.core.atomic import atomic_write_text
from viewmaker_cli.core.compile import compile_enabled
from viewmaker_cli.core.device import pick_device
from viewmaker_cli.core.quiet import quiet_lightning
from viewmaker_cli.data.speech.normalize import DATASET_STATS
from viewmaker_cli.data.splits import model_space
from viewmaker_cli.models.encoder import Normalizer
from viewmaker_cli.objectives.simclr import SimCLRConfig
from viewmaker_cli.reporting.results import git_state, versions
from viewmaker_cli.validation import bench_shape, check_bench
from viewmaker_cli.views.families import build_views

log = logging.getLogger("vmk")

# bench.shape presets: the paper's input per modality (reference §2.3) and its encoder stem.
SHAPES = {
    "image": ((3, 32, 32), "image", "resnet18_small"),
    "speech": ((1, 64, 64), "audio", "resnet18"),
    "sensor": ((52, 32, 32), "sensor", "resnet18_small"),
}
# The dataset z-score SpecAugment needs for speech: LibriSpeech's (reference §3.2).
SPEECH_META = dict(zip(("mean", "std"), DATASET_STATS["librispeech"], strict=True))
DATA_BYTES = 512 * 2**20  # the random training set: this much at most (the reference and vmk share it)
BENCH_FILE = "bench.json"


def parse_shape(text: str) -> tuple[tuple[int, ...], str, str]:
    """A preset name, or CxHxW / CxT (image modality, ResNet-18 small)."""
    shape = bench_shape(text)
    return SHAPES[text] if shape is None else (shape, "image", "resnet18_small")


def validate(cfg: DictConfig) -> None:
    check_bench(cfg)  # validation.py: as cli.precheck did, before torch


def pretrain_config(cfg: DictConfig, modality: str, arch: str) -> dict:
    """The config `vmk pretrain` would run with these settings: its defaults, the bench's model, views,
    optimiser, budget and batch, the modality's clamping and normalisation (conf/modality/<modality>.yaml),
    and no logging inside the timed steps. The objective: SimCLR, the loss the reference times."""
    base = OmegaConf.to_container(OmegaConf.structured(PretrainConfig(objective=SimCLRConfig())), resolve=True)
    base.update(budget=cfg.budget, seed=cfg.seed)
    base["modality"] = OmegaConf.to_container(OmegaConf.merge(OmegaConf.structured(ModalityConfig), compose_group("modality", modality)))
    base["model"] = {**OmegaConf.to_container(cfg.model), "arch": arch if cfg.model.arch == "auto" else cfg.model.arch}
    base["views"] = OmegaConf.to_container(cfg.views)
    base["optim"] = OmegaConf.to_container(cfg.optim)
    base["data"].update(name="bench", batch_size=cfg.bench.batch_size)
    base["trainer"].update(compile=cfg.bench.compile, compile_mode=cfg.bench.compile_mode, log_every_n_steps=10**9, image_every_n_steps=0)
    return base


def apply_sizes(cfg: DictConfig, device: torch.device, modality: str) -> str | None:
    """Set the sizes bench/sizes.py picks for this device over `cfg`; the line that says so (None: the
    configured sizes are timed)."""
    full = {key: OmegaConf.select(cfg, key) for key in KEYS}
    given = given_keys(HydraConfig.get().overrides.task)
    sizes = pick_sizes(cfg.bench.size, device.type == "cuda", given, modality)
    if not sizes:
        return None
    for key, value in sizes.items():
        OmegaConf.update(cfg, key, value)
    if cfg.bench.size == "quickstart":
        why = "bench.size=quickstart"
    else:
        why = "no CUDA" if not torch.cuda.is_available() else f"bench.device={cfg.bench.device}"
    return describe(sizes, full, why)


def random_data(shape: tuple[int, ...], modality: str, batch: int, batches: int, device: torch.device, seed: int):
    """Random inputs stored as vmk stores the modality (uint8 images, fp16 log-mel, fp32 sensor), on the
    device; as many batches as the timed run takes, within DATA_BYTES."""
    dtype = {"image": torch.uint8, "audio": torch.float16}.get(modality, torch.float32)
    per_batch = batch * torch.Size(shape).numel() * torch.empty((), dtype=dtype).element_size()
    n = batch * max(1, min(batches, DATA_BYTES // per_batch))
    g = torch.Generator(device=device).manual_seed(seed)
    if dtype == torch.uint8:
        return torch.randint(0, 256, (n, *shape), generator=g, device=device, dtype=torch.uint8)
    return torch.randn((n, *shape), generator=g, device=device).to(dtype)


def make_normalizer(data: torch.Tensor, modality: str) -> Normalizer:
    channels, dims = data.shape[1], data.ndim - 2
    if modality != "image":
        return Normalizer.identity(channels, dims)
    return Normalizer.of(model_space(data[:4096]))  # random pixels: a few thousand give the statistics


def run(cfg: DictConfig) -> dict:
    start = time.perf_counter()
    validate(cfg)
    quiet_lightning()
    b = cfg.bench
    device = pick_device(b.device, "bench.device")
    shape, modality, arch = parse_shape(str(b.shape))
    size_note = apply_sizes(cfg, device, modality)
    if size_note:
        log.info(size_note)
    precision = b.precision or ("bf16-mixed" if device.type == "cuda" else "32-true")
    config = pretrain_config(cfg, modality, arch)
    data = random_data(shape, modality, b.batch_size, b.warmup + b.steps, device, cfg.seed)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes; the authors' runs had it on (reference §7.23)
    out = Path(HydraConfig.get().runtime.output_dir)
    setup = Setup(config, data, make_normalizer(data, modality), SPEECH_META if modality == "audio" else {},
                  device, precision, b.warmup, b.steps, out=out, profile=b.profile)
    # A mode these inputs cannot have (expert views of a raw series) fails now, not after timing the others.
    for mode in dict.fromkeys(b.modes):
        if MODES[mode][0] == "expert":
            build_views({**config, "views": {**config["views"], "name": "expert"}}, shape[0], len(shape) - 1, setup.meta)
    modes = {}
    for mode in dict.fromkeys(b.modes):
        log.info("bench %s: %s", mode, MODES[mode][2])
        modes[mode] = {"what": MODES[mode][2], **run_mode(setup, mode)}
        modes[mode]["precision"] = "32-true" if mode == "reference" else precision
    reference = modes.get("reference", {}).get("images_per_s")
    for result in modes.values():
        result["ratio_to_reference"] = result["images_per_s"] / reference if reference else None
    record = {
        "device": _device(device),
        "versions": versions(),
        "git": git_state(),
        "shape": list(shape),
        "modality": modality,
        "batch_size": b.batch_size,
        "size": size_note or "as configured",
        "steps": b.steps,
        "warmup": b.warmup,
        "profile_steps": b.profile,
        "precision": precision,
        "compile": {"setting": b.compile, "enabled": compile_enabled(b.compile, device), "mode": b.compile_mode},
        "model": config["model"],
        "views": {k: config["views"][k] for k in ("width", "num_res_blocks")},
        "budget": cfg.budget,
        "data_mib": data.numel() * data.element_size() / 2**20,
        "modes": modes,
        "wall_s": round(time.perf_counter() - start, 2),
    }
    path = out / BENCH_FILE
    atomic_write_text(path, json.dumps(record, indent=2) + "\n")
    print_table(record, path)
    return record


def _device(device: torch.device) -> dict:
    """The device the bench ran on (not necessarily the machine's first GPU: bench.device=cpu)."""
    if device.type == "cuda":
        return {"type": "cuda", "name": torch.cuda.get_device_name(device), "count": torch.cuda.device_count()}
    return {"type": "cpu", "name": platform.processor() or platform.machine(), "threads": torch.get_num_threads()}


def print_table(record: dict, path: Path) -> None:
    shape = "x".join(map(str, record["shape"]))
    m = record["model"]
    table = Table(title=f"vmk bench: {record['device']['type']} ({record['device']['name']}), "
                        f"{shape}, batch {record['batch_size']}, {m['arch']} width {m['width']}")
    table.add_column("mode", no_wrap=True, min_width=12)
    for column in ("images/s", "x ref", "step ms", "peak MiB", "warm-up s", "compile s"):
        table.add_column(column, justify="right", no_wrap=True)

    def fmt(value, spec: str) -> str:
        return "-" if value is None else format(value, spec)

    for mode, r in record["modes"].items():
        table.add_row(mode, fmt(r["images_per_s"], ",.0f"), fmt(r["ratio_to_reference"], ".2f"), fmt(r["step_ms"], ".1f"),
                      fmt(r["peak_memory_mib"], ",.0f"), fmt(r["warmup_s"], ".2f"), fmt(r["compile_s"], ".1f"))
    console = Console()
    console.print(table)
    compiled = f"on ({record['compile']['mode']})" if record["compile"]["enabled"] else "off"
    console.print(
        f"precision {record['precision']} (reference: fp32 eager NCHW), torch.compile {compiled}, "
        f"{record['warmup']} warm-up + {record['steps']} timed steps per mode, torch {record['versions']['torch']}"
    )
    console.print(f"bench: {path}")
