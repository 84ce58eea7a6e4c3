"""Structured configs: the typed schema every YAML file in conf/ is merged into.

Registered in Hydra's ConfigStore, so a misspelt key or a value of the wrong type fails at composition
with Hydra's own message, before anything runs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, OmegaConf

from viewmaker_cli.core import job_dirname, slurm


def config_dir() -> Path:
    """The YAML tree every command composes from: package data in an installed wheel
    (viewmaker_cli/conf/), the repository's top-level conf/ in a checkout."""
    packaged = Path(__file__).resolve().parent / "conf"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "conf"


def compose_group(group: str, option: str) -> DictConfig:
    """`conf/<group>/<option>.yaml` as Hydra composes `<group>=<option>` for a command: its defaults list
    followed, untyped. Inside a running Hydra app its config search path is used; elsewhere (tests,
    scripts) Hydra is set up over config_dir() for this call only."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    overrides = [f"+{group}={option}"]
    if GlobalHydra.instance().is_initialized():
        return compose(overrides=overrides)[group]
    with initialize_config_dir(config_dir=str(config_dir()), version_base=None):
        return compose(overrides=overrides)[group]


@dataclass
class ModalityConfig:
    name: str = "image"
    # Images: views are clamped to [0,1] (the paper; the authors' released CIFAR config silently omits it).
    clamp: bool = True
    # Where inputs are normalised relative to the viewmaker: "after" (images, per-channel statistics of
    # the training set) or "before" (speech/sensor: inputs already z-scored, budget in std units).
    normalize: str = "after"


@dataclass
class DataConfig:
    name: str = "fashion_mnist_subset"
    root: Optional[str] = None  # folder with the dataset's files; None searches the usual places
    path: Optional[str] = None  # data=tensor_file: the .npy/.npz/.pt file
    download: bool = False  # fetch from the official address (with checksum) when not found
    pad_to: Optional[int] = 32  # zero-pad 28x28 images to 32x32 as the paper's 32x32 protocol does
    batch_size: int = 256
    # Window datasets (PAMAP2): fresh random windows drawn per epoch (the authors: 10,000).
    windows_per_epoch: int = 10000
    # Extra keyword arguments for the dataset's loader (e.g. image_size for image_folder, subsets for
    # librispeech, clip_samples for speech); part of the prepared cache's key.
    options: Dict[str, Any] = field(default_factory=dict)


@dataclass
class ModelConfig:
    arch: str = "resnet18_small"  # resnet18_small (3x3 stem) | resnet18 (7x7/2 stem + max-pool, speech)
    width: int = 64  # 64 = ResNet-18 (64/128/256/512); smaller for CPU
    embedding_dim: int = 128  # the paper's linear head, no projection MLP


@dataclass
class ViewsConfig:
    name: str = "learned"  # learned | expert | combined | noise
    # expert and combined: the hand-made set; auto = the authors' for the modality (image: simclr;
    # audio: specaugment; sensor: spectral). Also image: crop_flip; sensor: spectral_noise.
    expert: str = "auto"
    # learned: the viewmaker
    width: int = 32  # generator width; 32 = the paper's 32/64/128 channels
    num_res_blocks: int = 3
    lr: float = 1e-3  # Adam
    loss_weight: float = 1.0  # the viewmaker minimises -w * loss
    # alternating = the authors' order (encoder step, then a fresh forward for the viewmaker step);
    # simultaneous = one forward/backward with gradient reversal (faster, a different dynamic).
    update: str = "alternating"
    # The sphere δ lies on: l1 (the paper: mean |δ| = budget), l2 (RMS |δ| = budget), linf (max |δ| = budget).
    norm: str = "l1"
    # The authors' frequency-domain variant: the viewmaker works on the DCT of the input (budget in DCT units).
    frequency_domain: bool = False
    # Stop updating the viewmaker from this epoch on (the authors' viewmaker_freeze_epoch); None: never.
    freeze_epoch: Optional[int] = None
    # views.expert=time_domain (speech stored as waveforms): optional loudness [low, high] dB and pitch
    # [low, high] semitones ops, off as in the authors' code (crop + noise only).
    gain_db: Optional[List[float]] = None
    pitch: Optional[List[float]] = None


@dataclass
class ObjectiveConfig:
    """What every objective's settings have: its name. Each objective extends this with its own keys in
    its own file (objectives/NAME.py), registered as the schema of conf/objective/NAME.yaml."""

    name: str = MISSING  # simclr | instdisc | byol | simsiam | moco | wmse | supervised


@dataclass
class OptimConfig:
    """The encoder's optimiser: SGD with a constant learning rate, as the authors ran it."""

    lr: float = 0.03
    momentum: float = 0.9
    weight_decay: float = 1e-4


@dataclass
class TrainerConfig:
    """Lightning Trainer arguments, under Lightning's own names."""

    max_epochs: int = 200
    max_steps: int = -1
    precision: Optional[str] = None  # None: bf16-mixed on CUDA, 32-true on CPU
    devices: Any = "auto"
    accelerator: str = "auto"
    # auto | ddp. With several devices, data.batch_size is the global batch, split evenly over them;
    # negatives are gathered across devices. sync_batchnorm: BatchNorm statistics over the global batch
    # (GPU only) instead of per device.
    strategy: str = "auto"
    sync_batchnorm: bool = False
    # Machines, each running `devices` processes (Lightning's num_nodes): started by srun
    # (--nodes=num_nodes --ntasks-per-node=devices) or by torchrun on each machine (--nnodes, --node-rank).
    num_nodes: int = 1
    # torch.compile the encoder, the viewmaker and the hand-made views: auto = on for CUDA, off on the CPU;
    # true | false. A failed compile warns in one line and runs that part eagerly.
    compile: Any = "auto"
    # torch.compile's mode: reduce-overhead (CUDA graphs: one launch per compiled graph) | default |
    # max-autotune | max-autotune-no-cudagraphs.
    compile_mode: str = "reduce-overhead"
    log_every_n_steps: int = 50
    # Originals beside views in TensorBoard every N steps (0 disables).
    image_every_n_steps: int = 500
    # Checkpoints (atomic) every N batches and at the end; the newest `keep_checkpoints` are kept.
    checkpoint_every_n_steps: int = 500
    keep_checkpoints: int = 3


@dataclass
class PaperProbeConfig:
    """One modality's probe as the paper ran it (reference §4.1): a linear layer trained with SGD on frozen
    features of the run's views (probe training only; test inputs are clean). Defaults: CIFAR-10."""

    layer: str = "prepool"
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 0.0
    batch_size: int = 128
    epochs: int = 100
    milestones: List[int] = field(default_factory=lambda: [60, 80])  # lr x gamma at these epochs
    gamma: float = 0.1
    views: bool = True  # false: clean cached features (then no encoder forward per epoch)


@dataclass
class PaperProbes:
    """`probe.kind=paper` per modality; the run's modality picks one (`probe.paper.sensor.epochs=50`)."""

    image: PaperProbeConfig = field(default_factory=PaperProbeConfig)
    # Table 1's transfer sets: pooled 512-d features, wd 1e-4, no schedule.
    image_transfer: PaperProbeConfig = field(
        default_factory=lambda: PaperProbeConfig(layer="pooled", weight_decay=1e-4, milestones=[])
    )
    audio: PaperProbeConfig = field(default_factory=lambda: PaperProbeConfig(batch_size=256, milestones=[]))
    # PAMAP2: the authors' config says 100 epochs, the paper's text 50.
    sensor: PaperProbeConfig = field(
        default_factory=lambda: PaperProbeConfig(layer="pooled", weight_decay=1e-4, batch_size=256, milestones=[])
    )


@dataclass
class ProbeConfig:
    enabled: bool = True
    # The protocol behind probe_top1: linear (fast: Adam on cached features) | paper (§4.1, with views) | knn.
    kind: str = "linear"
    # More kinds on the same encoder, each written as <kind>_top1 (e.g. knn_top1).
    also: List[str] = field(default_factory=lambda: ["knn"])
    # The fast linear probe (and the kNN's features):
    layer: str = "pooled"  # pooled (512-d at width 64) | prepool (layer4 map, 8192-d for 32x32)
    epochs: int = 100
    lr: float = 1e-3  # Adam
    weight_decay: float = 0.0
    batch_size: int = 256
    standardize: bool = True  # z-score features with training statistics before the linear layer
    baseline: bool = True  # also probe an untrained encoder of the same architecture
    # Weighted kNN on L2-normalised features (Wu et al. 2018): sum of exp(sim / temperature) over the k nearest.
    knn_k: int = 200
    knn_temperature: float = 0.1
    # Few labels: train every probe on this fraction of each class's training examples (stratified, seeded).
    label_fraction: float = 1.0
    # Transfer: probe the same encoder on these datasets of the same modality (transfer/<name>/...).
    transfer: List[str] = field(default_factory=list)
    transfer_root: Optional[str] = None  # where the transfer datasets are found; None: data.root
    # Robustness of the probe_top1 classifier: the 15 CIFAR-10-C corruptions generated on the test split
    # (any image data) at these severities, and/or CIFAR-10-C itself read from its .npy files.
    corruptions: bool = False
    severities: List[int] = field(default_factory=lambda: [1, 2, 3, 4, 5])
    corruption_examples: Optional[int] = None  # corrupt only the first N test examples (None: all)
    cifar10c_root: Optional[str] = None
    paper: PaperProbes = field(default_factory=PaperProbes)
    # The live kNN monitor (monitor/knn_top1, training/knn_monitor.py): every N steps (None: about 10 times a run,
    # 0: off), kNN top-1 of `monitor_queries` held-out examples against `monitor_bank` training examples (fixed, seeded).
    monitor_every_n_steps: Optional[int] = None
    monitor_bank: int = 500
    monitor_queries: int = 250


# -- issue 16: the logger of your choice, the headline metric a sweeper optimises, the live kNN monitor --
LOGGERS = ("tensorboard", "csv", "wandb", "mlflow")  # Lightning's loggers; wandb and mlflow are optional extras


@dataclass
class LoggerConfig:
    """`logger=tensorboard|csv|wandb|mlflow` (conf/logger/): where scalars, view grids, hparams and probe metrics go."""

    name: str = "tensorboard"
    project: str = "vmk"  # the wandb project / MLflow experiment
    offline: bool = False  # wandb: write the run under RUN_DIR/wandb only (`wandb sync` uploads it later)
    tracking_uri: Optional[str] = None  # mlflow: a server or store; None: a file store in RUN_DIR/mlruns


@dataclass
class PretrainConfig:
    budget: float = 0.05  # distortion budget: mean |delta| per example (the L1 sphere's radius / input size)
    seed: int = 0
    # Continue a run: resume=true continues from checkpoints/last.ckpt of this run dir (pass the old
    # dir as hydra.run.dir=...); ckpt_path=FILE continues from any vmk checkpoint.
    resume: bool = False
    ckpt_path: Optional[str] = None
    # Deterministic algorithms: two runs with the same seed give identical losses on the CPU.
    deterministic: bool = False
    modality: ModalityConfig = field(default_factory=ModalityConfig)
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    views: ViewsConfig = field(default_factory=ViewsConfig)
    objective: ObjectiveConfig = MISSING  # the `objective` group: one objective's own config
    optim: OptimConfig = field(default_factory=OptimConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    probe: ProbeConfig = field(default_factory=ProbeConfig)
    logger: LoggerConfig = field(default_factory=LoggerConfig)
    # What `vmk pretrain` returns, so that a Hydra sweeper (hydra/sweeper=optuna) can optimise it: a key of
    # results.json's metrics (probe_top1, knn_top1, ...).
    sweep_metric: str = "probe_top1"


@dataclass
class ProbeRunConfig:
    """`vmk probe ckpt=...`: the probe of a saved encoder, on its own data or another dataset."""

    ckpt: Optional[str] = None
    seed: int = 0
    # data.name empty: the dataset (and settings) the checkpoint was pretrained on; otherwise these.
    data: DataConfig = field(default_factory=lambda: DataConfig(name=""))
    probe: ProbeConfig = field(default_factory=ProbeConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)


@dataclass
class ReportConfig:
    """`vmk report DIR...`: one table over every results.json under the given dirs."""

    dirs: list[str] = field(default_factory=list)
    write: bool = True  # write results.md and results.csv into the first dir
    plot: bool = True  # and budget_sweep.png when the runs span two or more budgets


@dataclass
class ViewFigureConfig:
    """`vmk views ckpt=...`: a PNG grid and an animated GIF of a saved run's views of a few inputs."""

    ckpt: Optional[str] = None
    # data.name empty: the dataset the checkpoint was pretrained on (as vmk probe); data=NAME another one.
    data: DataConfig = field(default_factory=lambda: DataConfig(name=""))
    split: str = "test"  # test | train: where the inputs come from
    n: int = 6  # inputs (rows), drawn from the split by `seed`
    num_views: int = 3  # views per input (columns between the original and the |delta| map)
    frames: int = 16  # GIF frames, each with fresh views of the same inputs
    frame_ms: int = 250
    seed: int = 0  # which inputs and the views' noise
    tile_px: int = 96  # each tile enlarged (nearest neighbour) to at least this many pixels a side
    cmap: str = "magma"  # matplotlib colormap for spectrograms and series
    out: Optional[str] = None  # folder for views.png / views.gif / views.json; None: the run dir
    device: str = "auto"  # auto | cpu | cuda


@dataclass
class EmbedConfig:
    """`vmk embed ckpt=...`: frozen features per split and the encoder as safetensors + JSON."""

    ckpt: Optional[str] = None
    data: DataConfig = field(default_factory=lambda: DataConfig(name=""))  # as ViewFigureConfig.data
    layer: str = "pooled"  # pooled | prepool | embedding (the head's output)
    splits: List[str] = field(default_factory=lambda: ["train", "test"])
    batch_size: int = 512
    out: Optional[str] = None  # folder for {split}.npz and encoder.*; None: the run dir
    device: str = "auto"  # auto | cpu | cuda


@dataclass
class BenchSettings:
    """What `vmk bench` times and how."""

    shape: str = "image"  # image (3x32x32) | speech (1x64x64) | sensor (52x32x32) | CxHxW | CxT
    # auto: on CUDA the sizes below and model.width/views.width; without, the quickstart preset's model and
    # batch (bench/sizes.py); quickstart | full. A size given on the command line always wins.
    size: str = "auto"
    batch_size: int = 256
    steps: int = 50  # timed steps per mode
    warmup: int = 10  # untimed steps before them (compiling, cuDNN autotuning)
    modes: List[str] = field(
        default_factory=lambda: ["reference", "alternating", "simultaneous", "expert", "noise", "encoder"]
    )
    compile: Any = "auto"  # as trainer.compile, for vmk's modes and the encoder (never the reference)
    compile_mode: str = "reduce-overhead"  # as trainer.compile_mode
    precision: Optional[str] = None  # None: bf16-mixed on CUDA, 32-true on CPU (the reference: fp32)
    device: str = "auto"  # auto | cpu | cuda
    # N > 0: N more steps per mode under torch.profiler after the timed ones; profile-<mode>.txt in the run dir
    profile: int = 0


@dataclass
class BenchConfig:
    """`vmk bench`: the authors' algorithm against vmk's training steps, on random data of one shape."""

    budget: float = 0.05
    seed: int = 0
    model: ModelConfig = field(default_factory=lambda: ModelConfig(arch="auto"))  # auto: the shape's encoder
    views: ViewsConfig = field(default_factory=ViewsConfig)  # views.name and views.update: set by each mode
    optim: OptimConfig = field(default_factory=OptimConfig)
    bench: BenchSettings = field(default_factory=BenchSettings)


def register_optuna_maximize(cs: ConfigStore) -> None:
    """hydra/sweeper=optuna (the `optuna` extra) maximises what `vmk pretrain` returns (its sweep_metric): the
    plugin's own `optuna` config, stored again with direction maximize after Hydra's plugin scan (once a process),
    which runs every plugin module again and would store the plugin's minimize over this. (A YAML of the same name
    under conf/hydra/sweeper/ cannot do it: Hydra refuses a YAML that shadows a schema with a defaults list.)"""
    import importlib
    import importlib.util

    if importlib.util.find_spec("hydra_plugins.hydra_optuna_sweeper") is None:
        return
    from hydra.core.plugins import Plugins

    Plugins.instance()  # the scan, now rather than when the app starts
    plugin = importlib.import_module("hydra_plugins.hydra_optuna_sweeper.config")
    cs.store(group="hydra/sweeper", name="optuna", provider="vmk",
             node=plugin.OptunaSweeperConf(direction="maximize", n_jobs=1, max_failure_rate=1.0))


def register() -> None:
    OmegaConf.register_new_resolver("slurm_step_or", slurm.step_or, replace=True)  # hydra.run.dir's default
    job_dirname.register()  # hydra.sweep.subdir's
    # `out=DIR` of views/embed: the run dir is DIR itself (no outputs/DATE/TIME beside it), without a .hydra/ in it.
    OmegaConf.register_new_resolver("out_or", lambda out, default: default if out in (None, "") else os.path.expanduser(out), replace=True)
    OmegaConf.register_new_resolver("unless_out", lambda out, value: value if out in (None, "") else None, replace=True)
    cs = ConfigStore.instance()
    cs.store(name="bench_schema", node=BenchConfig)
    cs.store(name="pretrain_schema", node=PretrainConfig)
    cs.store(name="probe_schema", node=ProbeRunConfig)
    cs.store(name="report_schema", node=ReportConfig)
    cs.store(name="view_figure_schema", node=ViewFigureConfig)
    cs.store(name="embed_schema", node=EmbedConfig)
    register_optuna_maximize(cs)
