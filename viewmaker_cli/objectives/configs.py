"""Every objective's settings: the schema of conf/objective/NAME.yaml, one dataclass per objective.

Kept apart from the objectives' torch code so that the CLI composes a config (and answers --help, --cfg and a
config error) without importing torch. Each objective's file imports its own config from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from hydra.core.config_store import ConfigStore

from viewmaker_cli.config import ObjectiveConfig


@dataclass
class SimCLRConfig(ObjectiveConfig):
    name: str = "simclr"
    temperature: float = 0.07
    # False: the authors' one-directional loss with self-similarity in the denominator (faithful);
    # True: the symmetric NT-Xent of Chen et al. 2020.
    symmetric: bool = False


@dataclass
class InstDiscConfig(ObjectiveConfig):
    name: str = "instdisc"
    temperature: float = 0.07
    num_negatives: int = 4096  # drawn from the memory bank with replacement
    momentum: float = 0.5  # of the bank's rows
    double_update: bool = False  # the authors' accidental second write of the bank per step


@dataclass
class BYOLConfig(ObjectiveConfig):
    name: str = "byol"
    ema: float = 0.99  # EMA rate of the target network
    hidden: int = 4096  # predictor hidden width


@dataclass
class SimSiamConfig(ObjectiveConfig):
    name: str = "simsiam"
    hidden: int = 512  # predictor bottleneck width


@dataclass
class MoCoConfig(ObjectiveConfig):
    name: str = "moco"
    temperature: float = 0.2
    ema: float = 0.999  # EMA rate of the momentum encoder
    queue_size: int = 65536  # keys of past batches, the negatives


@dataclass
class WMSEConfig(ObjectiveConfig):
    name: str = "wmse"
    whiten_size: Optional[int] = None  # rows whitened together (None: the whole batch)
    eps: float = 0.0  # ridge of the covariance


@dataclass
class SupervisedConfig(ObjectiveConfig):
    name: str = "supervised"


# objective=NAME -> its settings (table.py pairs each with its Objective class)
CONFIGS: dict[str, type[ObjectiveConfig]] = {
    "simclr": SimCLRConfig,
    "instdisc": InstDiscConfig,
    "byol": BYOLConfig,
    "simsiam": SimSiamConfig,
    "moco": MoCoConfig,
    "wmse": WMSEConfig,
    "supervised": SupervisedConfig,
}


def schema_name(name: str) -> str:
    """The ConfigStore name of objective `name`'s schema (root level: not listed as an `objective` option)."""
    return f"{name}_objective_schema"


def register() -> None:
    """Every objective's config dataclass in Hydra's ConfigStore, for conf/objective/NAME.yaml to extend."""
    store = ConfigStore.instance()
    for name, config in CONFIGS.items():
        store.store(name=schema_name(name), node=config)
