"""The objective table: its names, the ConfigStore schemas and conf/objective/*.yaml agree; each YAML composes
to exactly its objective's config; another objective's key fails; every entry builds an `Objective`."""

from dataclasses import asdict, fields
from pathlib import Path

import pytest
import torch
import yaml
from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore
from omegaconf import OmegaConf

from viewmaker_cli.cli import register_schemas
from viewmaker_cli.config import config_dir
from viewmaker_cli.errors import UserError
from viewmaker_cli.objectives.base import Objective
from viewmaker_cli.objectives.table import OBJECTIVES, build_objective, objective_config, schema_name

YAMLS = Path(config_dir()) / "objective"
OLD_CHECKPOINT = Path(__file__).resolve().parents[1] / "fixtures" / "run_before_layering" / "checkpoints" / "last.ckpt"


def composed(*overrides: str):
    with initialize_config_dir(config_dir=str(config_dir()), version_base=None):
        return compose("pretrain", list(overrides)).objective


def test_table_schemas_and_yamls_name_the_same_objectives(hydra_restore_singletons):
    register_schemas("pretrain")
    stored = {name.removesuffix(".yaml") for name in ConfigStore.instance().list("/") if name.endswith("_objective_schema.yaml")}
    assert stored == {schema_name(name) for name in OBJECTIVES}
    assert {path.stem for path in YAMLS.glob("*.yaml")} == set(OBJECTIVES)
    for name, entry in OBJECTIVES.items():
        assert issubclass(entry.objective, Objective) and entry.config().name == name


@pytest.mark.parametrize("name", list(OBJECTIVES))
def test_each_yaml_extends_its_schema_and_restates_no_value(name, hydra_restore_singletons):
    assert yaml.safe_load((YAMLS / f"{name}.yaml").read_text()) == {"defaults": [f"/{schema_name(name)}@_here_"]}
    register_schemas("pretrain")
    objective = composed(f"objective={name}")
    assert OmegaConf.get_type(objective) is OBJECTIVES[name].config
    assert OmegaConf.to_container(objective) == asdict(OBJECTIVES[name].config())


def test_the_default_objective_is_the_authors_simclr(hydra_restore_singletons):
    register_schemas("pretrain")
    assert OmegaConf.to_container(composed()) == {"name": "simclr", "temperature": 0.07, "symmetric": False}


def test_an_objective_rejects_another_objectives_key(hydra_restore_singletons, vmk):
    register_schemas("pretrain")
    with pytest.raises(Exception, match="queue_size"):
        composed("objective=simsiam", "objective.queue_size=5")
    with pytest.raises(TypeError, match="queue_size"):
        OBJECTIVES["simsiam"].config(queue_size=5)
    code, _, err = vmk("pretrain", "objective=simsiam", "objective.queue_size=5")
    assert code == 2 and err.strip().count("\n") == 0 and "objective.queue_size for objective=simsiam (moco has it" in err


@pytest.mark.parametrize("name", list(OBJECTIVES))
def test_every_objective_builds_from_its_config_and_from_a_block_saved_before_the_split(name):
    """Configs saved before each objective had its own hold one block with every objective's keys."""
    old_block = torch.load(OLD_CHECKPOINT, map_location="cpu", weights_only=True)["vmk"]["config"]["objective"]
    assert {"queue_size", "hidden", "num_negatives", "whiten_size"} <= set(old_block)  # the flat block
    for settings in (OBJECTIVES[name].config(), {**old_block, "name": name}):
        objective = build_objective(settings, embedding_dim=32, num_examples=64, num_classes=10)
        assert type(objective) is OBJECTIVES[name].objective
    config = objective_config({**old_block, "name": name})  # only its own keys, with the saved values
    assert asdict(config) == {f.name: old_block[f.name] for f in fields(OBJECTIVES[name].config)} | {"name": name}


def test_an_unknown_objective_names_the_known_ones():
    with pytest.raises(UserError, match="objective=nope is unknown .*simclr, instdisc"):
        build_objective({"name": "nope"}, 16, 8, 0)
