"""objective=NAME → (objective class, its config dataclass): the one list of objectives.

Each config dataclass (configs.py, torch-free) is the schema of conf/objective/NAME.yaml (registered by
`register`), so a key of another objective fails at composition. Adding an objective: its file (an `Objective`
subclass), its config in configs.py, one line here, and conf/objective/NAME.yaml extending the schema.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any, Mapping, NamedTuple

from viewmaker_cli.config import ObjectiveConfig
from viewmaker_cli.errors import UserError
from viewmaker_cli.objectives.base import Objective
from viewmaker_cli.objectives.byol import BYOL
from viewmaker_cli.objectives.configs import (
    BYOLConfig,
    InstDiscConfig,
    MoCoConfig,
    SimCLRConfig,
    SimSiamConfig,
    SupervisedConfig,
    WMSEConfig,
    register,
    schema_name,
)
from viewmaker_cli.objectives.instdisc import InstDisc
from viewmaker_cli.objectives.moco import MoCo
from viewmaker_cli.objectives.simclr import SimCLR
from viewmaker_cli.objectives.simsiam import SimSiam
from viewmaker_cli.objectives.supervised import Supervised
from viewmaker_cli.objectives.wmse import WMSE

__all__ = ["OBJECTIVES", "Entry", "build_objective", "objective_config", "register", "schema_name"]


class Entry(NamedTuple):
    objective: type[Objective]
    config: type[ObjectiveConfig]


OBJECTIVES: dict[str, Entry] = {
    "simclr": Entry(SimCLR, SimCLRConfig),
    "instdisc": Entry(InstDisc, InstDiscConfig),
    "byol": Entry(BYOL, BYOLConfig),
    "simsiam": Entry(SimSiam, SimSiamConfig),
    "moco": Entry(MoCo, MoCoConfig),
    "wmse": Entry(WMSE, WMSEConfig),
    "supervised": Entry(Supervised, SupervisedConfig),
}


def objective_config(settings: Mapping[str, Any] | ObjectiveConfig) -> ObjectiveConfig:
    """The config dataclass of the objective `settings["name"]`, from the keys it knows. Runs saved before
    each objective had its own config hold one block with every objective's keys: the others are dropped."""
    if isinstance(settings, ObjectiveConfig):
        settings = asdict(settings)
    name = settings["name"]
    if name not in OBJECTIVES:
        raise UserError(f"objective={name} is unknown (choose from: {', '.join(OBJECTIVES)})")
    config = OBJECTIVES[name].config
    known = {f.name for f in fields(config)}
    return config(**{key: value for key, value in settings.items() if key in known})


def build_objective(
    settings: Mapping[str, Any] | ObjectiveConfig, embedding_dim: int, num_examples: int, num_classes: int
) -> Objective:
    """The objective of an `objective` config block (a dict, DictConfig or config dataclass)."""
    config = objective_config(settings)
    return OBJECTIVES[config.name].objective.from_config(config, embedding_dim, num_examples, num_classes)
