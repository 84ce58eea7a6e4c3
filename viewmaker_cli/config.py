"""Structured configs: the typed schema every YAML file in conf/ is merged into.

Registered in Hydra's ConfigStore, so a misspelt key or a value of the wrong type fails at composition
with Hydra's own message, before anything runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional

from hydra.core.config_store import ConfigStore


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


@dataclass
class ObjectiveConfig:
    name: str = "simclr"  # simclr | instdisc | byol | simsiam | moco | wmse | supervised
    temperature: float = 0.07
    # simclr. False: the authors' one-directional loss with self-similarity in the denominator
    # (faithful); True: the symmetric NT-Xent of Chen et al. 2020.
    symmetric: bool = False
    # instdisc: memory bank negatives and momentum; double_update = the authors' accidental second write.
    num_negatives: int = 4096
    momentum: float = 0.5
    double_update: bool = False
    # byol / moco: EMA rate of the target network; byol / simsiam: predictor hidden width.
    ema: float = 0.99
    hidden: int = 4096
    # moco: queue length.
    queue_size: int = 65536
    # wmse: whitening group size (None: the whole batch) and the covariance's ridge.
    whiten_size: Optional[int] = None
    eps: float = 0.0


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
    log_every_n_steps: int = 50
    # Originals beside views in TensorBoard every N steps (0 disables).
    image_every_n_steps: int = 500
    # Checkpoints (atomic) every N batches and at the end; the newest `keep_checkpoints` are kept.
    checkpoint_every_n_steps: int = 500
    keep_checkpoints: int = 3


@dataclass
class ProbeConfig:
    enabled: bool = True
    kind: str = "linear"
    layer: str = "pooled"  # pooled (512-d at width 64) | prepool (layer4 map, 8192-d for 32x32)
    epochs: int = 100
    lr: float = 1e-3  # Adam
    weight_decay: float = 0.0
    batch_size: int = 256
    standardize: bool = True  # z-score features with training statistics before the linear layer
    baseline: bool = True  # also probe an untrained encoder of the same architecture


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
    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    probe: ProbeConfig = field(default_factory=ProbeConfig)


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


def register() -> None:
    cs = ConfigStore.instance()
    cs.store(name="pretrain_schema", node=PretrainConfig)
    cs.store(name="probe_schema", node=ProbeRunConfig)
    cs.store(name="report_schema", node=ReportConfig)
