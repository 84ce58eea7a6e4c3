"""Every check of a command's config that needs nothing but the values: one line (UserError) naming the key,
the value and what is allowed.

cli.precheck runs `check(command, cfg)` on the composed config before Hydra starts the job, so a wrong value
answers in about a second; each command runs it again in its job (a sweep composes each job's config there).
Imports neither torch nor Lightning: the allowed values that live in torch modules are restated here as plain
tuples, and tests/validation/test_values.py checks that they equal the originals.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from viewmaker_cli.core.checkpoint_file import checkpoint_file
from viewmaker_cli.errors import UserError

MODALITIES = ("image", "audio", "sensor")
# views/families.py EXPERT_SETS
EXPERT_SETS = {"image": ("simclr", "crop_flip"), "audio": ("specaugment", "time_domain"), "sensor": ("spectral", "spectral_noise")}
OBJECTIVES = ("simclr", "instdisc", "byol", "simsiam", "moco", "wmse", "supervised")  # objectives/table.py
ARCHS = ("resnet18_small", "resnet18")  # models/encoder.py
FEATURE_LAYERS = ("pooled", "prepool")  # models/resnet.py
PROBE_KINDS = ("linear", "paper", "knn")  # evaluation/kinds.py
NORMS = ("l1", "l2", "linf")  # views/viewmaker.py
COMPILE_SETTINGS = ("auto", True, False)  # core/compile.py
COMPILE_MODES = ("reduce-overhead", "default", "max-autotune", "max-autotune-no-cudagraphs")  # core/compile.py
SEVERITIES = (1, 2, 3, 4, 5)  # evaluation/corruptions
BENCH_MODES = ("reference", "alternating", "simultaneous", "expert", "noise", "encoder")  # bench/modes.py
BENCH_SHAPES = ("image", "speech", "sensor")  # commands/bench.py
# Lightning's: its accelerators (plus auto and gpu) and its precision names
ACCELERATORS = ("auto", "cpu", "gpu", "cuda", "mps", "tpu")
# (not 64: the data, views and probes are float32 throughout; a float64 run failed after training)
PRECISIONS = ("transformer-engine", "transformer-engine-float16", "16-true", "16-mixed", "bf16-true", "bf16-mixed",
              "32-true", "32", "16", "bf16")
DEVICES = ("auto", "cpu", "cuda")  # core/device.py pick_device
MAX_SEED = 2**32 - 1  # numpy's and Lightning's seed_everything's limit

SUPPORTED = {
    "views.name": ("learned", "expert", "combined", "noise"),
    "views.update": ("alternating", "simultaneous"),
    "views.norm": NORMS,
    "objective.name": OBJECTIVES,
    "model.arch": ARCHS,
    "probe.layer": FEATURE_LAYERS,
    "probe.kind": PROBE_KINDS,
    "trainer.strategy": ("auto", "ddp"),
    "trainer.compile": COMPILE_SETTINGS,
    "trainer.compile_mode": COMPILE_MODES,
    "modality.name": MODALITIES,
    "modality.normalize": ("after", "before"),
}


def _value(cfg: DictConfig, key: str) -> Any:
    return OmegaConf.select(cfg, key)


def choice(cfg: DictConfig, key: str, allowed: Iterable) -> None:
    value, allowed = _value(cfg, key), tuple(allowed)
    if value not in allowed:
        raise UserError(f"{key}={value} is not supported (choose from: {', '.join(map(str, allowed))})")


def at_least(cfg: DictConfig, key: str, low: int, why: str = "") -> None:
    value = _value(cfg, key)
    if value is not None and value < low:
        raise UserError(f"{key} must be at least {low}{f' ({why})' if why else ''}, got {value}")


def positive(cfg: DictConfig, key: str, why: str = "") -> None:
    value = _value(cfg, key)
    if not (math.isfinite(value) and value > 0):
        raise UserError(f"{key} must be a positive number{f' ({why})' if why else ''}, got {value}")


def non_negative(cfg: DictConfig, key: str) -> None:
    value = _value(cfg, key)
    if not (math.isfinite(value) and value >= 0):
        raise UserError(f"{key} must be a finite number >= 0, got {value}")


def fraction(cfg: DictConfig, key: str, low_open: bool = False) -> None:
    value = _value(cfg, key)
    if not (0 < value <= 1 if low_open else 0 <= value <= 1):
        raise UserError(f"{key} must be in {'(0' if low_open else '[0'}, 1], got {value}")


def seed(cfg: DictConfig, key: str = "seed") -> None:
    value = _value(cfg, key)
    if not 0 <= value <= MAX_SEED:
        raise UserError(f"{key} must be in 0..{MAX_SEED} (numpy's and torch's seed range), got {value}")


def value_range(cfg: DictConfig, key: str) -> None:
    """[low, high] with low <= high, or null (views.gain_db, views.pitch)."""
    value = _value(cfg, key)
    if value is not None and (len(value) != 2 or not all(math.isfinite(v) for v in value) or not value[0] <= value[1]):
        raise UserError(f"{key} must be [low, high] with low <= high, got {list(value)}")


def devices(cfg: DictConfig, key: str = "trainer.devices") -> None:
    """Lightning's `devices`: auto, a count >= 1 or -1 (all), ids as "0,1" or a list."""
    value = _value(cfg, key)
    text = str(value).strip()
    ids = [part.strip() for part in text.split(",")] if "," in text else None
    if isinstance(value, (list, tuple)) or OmegaConf.is_list(value):
        ok = len(value) > 0 and all(isinstance(v, int) and v >= 0 for v in value)
    elif ids is not None:
        ok = all(part.isdigit() for part in ids if part) and any(ids)
    else:
        ok = text == "auto" or text == "-1" or (text.isdigit() and int(text) >= 1)
    if not ok:
        raise UserError(f"{key}={value} is not supported (auto, a count such as 2, -1 for all, or ids such as '0,1' or [0,1])")


def ckpt_given(cfg: DictConfig, command: str) -> None:
    """The checkpoint vmk probe / views / embed read: given, a file, a torch archive (before torch)."""

    if not cfg.ckpt:
        raise UserError(f"no checkpoint given: vmk {command} ckpt=PATH (e.g. outputs/.../checkpoints/last.ckpt)")
    checkpoint_file(cfg.ckpt)  # a missing path, or a dir (naming the checkpoint in it)


def check_model(cfg: DictConfig) -> None:
    at_least(cfg, "model.width", 1, "channels of the encoder's first stage")
    at_least(cfg, "model.embedding_dim", 1, "the embedding the objective sees")
    at_least(cfg, "views.width", 1, "channels of the viewmaker's first layer")
    at_least(cfg, "views.num_res_blocks", 0)
    for key in ("views.lr", "optim.lr", "optim.momentum", "optim.weight_decay"):
        non_negative(cfg, key)
    loss_weight = _value(cfg, "views.loss_weight")
    if not math.isfinite(loss_weight):
        raise UserError(f"views.loss_weight must be a finite number, got {loss_weight}")
    positive(cfg, "budget", "the mean |delta| per example")


def check_trainer(cfg: DictConfig) -> None:
    choice(cfg, "trainer.accelerator", ACCELERATORS)
    if _value(cfg, "trainer.precision") is not None:
        choice(cfg, "trainer.precision", PRECISIONS)
    devices(cfg)
    at_least(cfg, "trainer.num_nodes", 1, "the machines the run trains on")
    for key in ("trainer.max_epochs", "trainer.max_steps"):  # 0 would probe an untrained encoder as pretrained
        value = _value(cfg, key)
        if value is not None and value != -1 and value < 1:
            raise UserError(f"{key} must be at least 1, or -1 for no limit, got {value}")
    if _value(cfg, "trainer.max_epochs") == -1 and _value(cfg, "trainer.max_steps") == -1:
        raise UserError("trainer.max_epochs=-1 and trainer.max_steps=-1: the run would never end; set one of them "
                        "(e.g. trainer.max_steps=10000)")
    at_least(cfg, "trainer.log_every_n_steps", 1)
    at_least(cfg, "trainer.image_every_n_steps", 0, "0: never")
    at_least(cfg, "trainer.checkpoint_every_n_steps", 1)
    at_least(cfg, "trainer.keep_checkpoints", 1, "the newest checkpoints kept")


def check_objective(cfg: DictConfig) -> None:
    objective = cfg.objective
    for key in ("temperature",):
        if key in objective:
            positive(cfg, f"objective.{key}")
    for key in ("ema", "momentum"):
        if key in objective:
            fraction(cfg, f"objective.{key}")
    for key in ("num_negatives", "hidden", "queue_size"):
        if key in objective:
            at_least(cfg, f"objective.{key}", 1)
    if objective.name == "wmse":
        fraction(cfg, "objective.eps")
        at_least(cfg, "objective.whiten_size", 2, "rows whitened together")
        size, dim, batch = objective.whiten_size, cfg.model.embedding_dim, cfg.data.batch_size
        if (size or batch) <= dim and objective.eps == 0:
            # n centred rows span at most n - 1 dimensions, so the covariance could never be inverted.
            rows = f"objective.whiten_size={size}" if size else f"data.batch_size={batch} (whitened whole: objective.whiten_size=null)"
            raise UserError(f"W-MSE whitens {rows} rows at a time, which must exceed model.embedding_dim={dim}: "
                            "raise one, lower the other, or set objective.eps > 0")
        if size and batch % size:
            raise UserError(f"W-MSE: data.batch_size={batch} must be a multiple of objective.whiten_size={size}")
    alternating = cfg.views.name in ("learned", "combined") and cfg.views.update == "alternating"
    if OmegaConf.select(cfg, "objective.double_update", default=False) and not alternating:
        raise UserError(
            "objective.double_update=true is the authors' second bank write after the viewmaker's own pass, which "
            f"only alternating learned views have (views={cfg.views.name}, views.update={cfg.views.update}): drop it"
        )


def check_probe(cfg: DictConfig, modality: str | None = None) -> None:
    """The `probe` block's values (evaluation/settings.check_probe_config adds what needs the data: transfer
    sets found, CIFAR-10-C's files). `modality`: the run's, when known before the checkpoint is read."""
    probe = cfg.probe
    for kind in dict.fromkeys([probe.kind, *probe.also]):
        if kind not in PROBE_KINDS:
            key = "probe.kind" if kind == probe.kind else "probe.also"
            raise UserError(f"{key}: unknown probe kind {kind!r} (choose from: {', '.join(PROBE_KINDS)})")
    choice(cfg, "probe.layer", FEATURE_LAYERS)
    at_least(cfg, "probe.epochs", 1, "the linear probe's passes over the training features")
    positive(cfg, "probe.lr")
    non_negative(cfg, "probe.weight_decay")
    at_least(cfg, "probe.batch_size", 1)
    at_least(cfg, "probe.knn_k", 1)
    positive(cfg, "probe.knn_temperature")
    fraction(cfg, "probe.label_fraction", low_open=True)
    severities = list(probe.severities)
    if not severities or any(s not in SEVERITIES for s in severities):
        raise UserError(f"probe.severities must be a non-empty list of 1..5, got {severities}")
    at_least(cfg, "probe.corruption_examples", 1, "or null for all")
    at_least(cfg, "probe.monitor_every_n_steps", 0, "0 turns the kNN monitor off; null: about 10 times a run")
    at_least(cfg, "probe.monitor_bank", 1, "training examples the kNN monitor compares against")
    at_least(cfg, "probe.monitor_queries", 1, "held-out examples the kNN monitor classifies")
    if modality is not None and modality != "image" and (probe.corruptions or probe.cifar10c_root):
        raise UserError(f"probe.corruptions and probe.cifar10c_root are for image data; this run is modality={modality}")
    if "tensor_file" in probe.transfer:
        raise UserError("probe.transfer cannot take tensor_file (it needs a path): probe the file with vmk probe ckpt=... data=tensor_file data.path=FILE")
    for section in probe.paper:
        key = f"probe.paper.{section}"
        choice(cfg, f"{key}.layer", FEATURE_LAYERS)
        positive(cfg, f"{key}.lr")
        positive(cfg, f"{key}.gamma")
        non_negative(cfg, f"{key}.momentum")
        non_negative(cfg, f"{key}.weight_decay")
        at_least(cfg, f"{key}.batch_size", 1)
        at_least(cfg, f"{key}.epochs", 1)
        milestones = list(probe.paper[section].milestones)
        if any(m < 1 for m in milestones) or milestones != sorted(set(milestones)):
            raise UserError(f"{key}.milestones must be increasing epochs >= 1, got {milestones}")


def check_data(cfg: DictConfig, min_batch: int = 2) -> None:
    at_least(cfg, "data.batch_size", min_batch, "contrastive views need negatives")
    at_least(cfg, "data.windows_per_epoch", 1)
    at_least(cfg, "data.pad_to", 1, "or null for no padding")


def check_pretrain(cfg: DictConfig) -> None:
    for key, allowed in SUPPORTED.items():
        choice(cfg, key, allowed)
    seed(cfg)
    check_model(cfg)
    check_data(cfg)
    check_trainer(cfg)
    check_objective(cfg)
    views = cfg.views
    if views.name in ("expert", "combined") and views.expert != "auto":
        choice(cfg, "views.expert", EXPERT_SETS[cfg.modality.name])
    at_least(cfg, "views.freeze_epoch", 0, "or null: never frozen")
    value_range(cfg, "views.gain_db")
    value_range(cfg, "views.pitch")
    if cfg.probe.enabled:  # a probe setting a user got wrong fails now, not after pretraining
        check_probe(cfg, cfg.modality.name)


def check_probe_command(cfg: DictConfig) -> None:
    ckpt_given(cfg, "probe")
    seed(cfg)
    choice(cfg, "trainer.accelerator", ACCELERATORS)
    at_least(cfg, "data.batch_size", 1)
    check_probe(cfg)


def check_views(cfg: DictConfig) -> None:
    ckpt_given(cfg, "views")
    seed(cfg)
    for key in ("n", "num_views", "frames", "frame_ms", "tile_px"):
        at_least(cfg, key, 1)
    choice(cfg, "split", ("test", "train"))
    choice(cfg, "device", DEVICES)
    import matplotlib  # its list of colormaps; no torch

    if cfg.cmap not in matplotlib.colormaps:
        raise UserError(f"cmap={cfg.cmap} is not a matplotlib colormap (e.g. magma, viridis, gray)")


EMBED_LAYERS = ("pooled", "prepool", "embedding")  # embedding: the head's output, what the objective saw
EMBED_SPLITS = ("train", "test")


def check_embed(cfg: DictConfig) -> None:
    ckpt_given(cfg, "embed")
    choice(cfg, "layer", EMBED_LAYERS)
    splits = list(cfg.splits)
    if not splits or any(s not in EMBED_SPLITS for s in splits) or len(set(splits)) != len(splits):
        raise UserError(f"splits={splits}: give each of {', '.join(EMBED_SPLITS)} at most once, e.g. splits=[test]")
    at_least(cfg, "batch_size", 1)
    choice(cfg, "device", DEVICES)


def check_report(cfg: DictConfig) -> None:
    if not cfg.dirs:
        raise UserError("no directory given: vmk report DIR [DIR...] (e.g. vmk report outputs/multirun)")
    for d in cfg.dirs:
        runs_dir(str(d))


def runs_dir(d: str) -> Path:
    """`d` as a folder of runs (vmk report's DIR); one line when it is a file or missing."""
    path = Path(d).expanduser()
    if not path.is_dir():
        raise UserError(f"{d}: {'a file, not a directory of runs' if path.exists() else 'no such directory'}")
    return path


def bench_shape(text: str) -> tuple[int, ...] | None:
    """bench.shape as CxHxW / CxT, None for a preset name; UserError for anything else."""
    if text in BENCH_SHAPES:
        return None
    try:
        shape = tuple(int(v) for v in str(text).lower().split("x"))
    except ValueError:
        shape = ()
    if len(shape) not in (2, 3) or min(shape) < 1:
        raise UserError(f"bench.shape={text} is not a preset ({', '.join(BENCH_SHAPES)}) or a shape like 3x32x32 / 6x100")
    return shape


def check_bench(cfg: DictConfig) -> None:
    b = cfg.bench
    seed(cfg)
    at_least(cfg, "bench.batch_size", 2, "contrastive views need negatives")
    at_least(cfg, "bench.steps", 1)
    at_least(cfg, "bench.warmup", 0)
    at_least(cfg, "bench.profile", 0)
    unknown = [m for m in b.modes if m not in BENCH_MODES]
    if unknown or not b.modes:
        raise UserError(f"bench.modes={list(b.modes)}: choose one or more of {', '.join(BENCH_MODES)}")
    choice(cfg, "bench.size", ("auto", "quickstart", "full"))  # bench/sizes.py
    choice(cfg, "bench.compile", COMPILE_SETTINGS)
    choice(cfg, "bench.compile_mode", COMPILE_MODES)
    if b.precision is not None:
        choice(cfg, "bench.precision", ("32-true", "bf16-mixed"))
    choice(cfg, "bench.device", DEVICES)
    choice(cfg, "model.arch", ("auto", *ARCHS))
    choice(cfg, "views.norm", NORMS)
    bench_shape(b.shape)
    check_model(cfg)


def check_appends(cfg: DictConfig, overrides: list[str]) -> None:
    """`+key=value` (and `++key=value`) may add a key only where the schema has room for new ones (a dict
    such as data.options): Hydra adds any key, and a key no code reads is silently ignored."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from viewmaker_cli.config import config_dir

    for override in OverridesParser.create().parse_overrides([o for o in overrides if "=" in o]):
        key = override.key_or_group
        if not (override.is_add() or override.is_force_add()) or override.package is not None:
            continue
        if key.split(".")[0] == "hydra" or (config_dir() / key.replace(".", "/")).is_dir():  # Hydra's, or a group
            continue
        node: Any = cfg
        parts = key.split(".")
        for depth, part in enumerate(parts):
            schema = OmegaConf.get_type(node) if isinstance(node, DictConfig) else None
            known = {f.name for f in dataclasses.fields(schema)} if dataclasses.is_dataclass(schema) else None
            if known is not None and part not in known:
                where = ".".join(parts[:depth]) or "the config"
                raise UserError(f"{override.input_line}: {where} has no setting {part!r} (it has: {', '.join(sorted(known))}); "
                                "drop the + to change an existing setting")
            if known is None or not isinstance(node, DictConfig) or part not in node:
                break  # a dict-typed setting (data.options): any key may be added there
            node = node._get_node(part)


CHECKS: dict[str, Callable[[DictConfig], None]] = {
    "pretrain": check_pretrain,
    "probe": check_probe_command,
    "views": check_views,
    "embed": check_embed,
    "report": check_report,
    "bench": check_bench,
}


def check(command: str, cfg: DictConfig) -> None:
    """Every value check of `vmk command` on its composed config: UserError (one line) on the first wrong value."""
    CHECKS[command](cfg)
