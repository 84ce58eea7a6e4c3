"""conf/hydra/launcher/slurm.yaml, vmk's preset over hydra-submitit-launcher (not installed here, and
no SLURM): it is loaded only when selected, says what is missing without the plugin, and its keys are
fields of the plugin's schema (stood in for by a copy of the fields of its SlurmQueueConf)."""

from dataclasses import dataclass
from typing import Optional

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore

from viewmaker_cli.cli import register_schemas
from viewmaker_cli.config import config_dir


@dataclass
class SlurmQueueConfFields:  # hydra_plugins/hydra_submitit_launcher/config.py (hydra-submitit-launcher 1.2), abridged
    _target_: str = "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher"
    submitit_folder: str = "${hydra.sweep.dir}/.submitit/%j"
    timeout_min: int = 60
    cpus_per_task: Optional[int] = None
    gpus_per_node: Optional[int] = None
    tasks_per_node: int = 1
    mem_gb: Optional[int] = None
    nodes: int = 1
    name: str = "${hydra.job.name}"
    partition: Optional[str] = None
    account: Optional[str] = None
    array_parallelism: int = 256


def test_slurm_preset_is_loaded_only_when_selected_and_names_the_missing_plugin(hydra_restore_singletons):
    register_schemas("pretrain")
    with initialize_config_dir(config_dir=str(config_dir()), version_base=None):
        assert compose("pretrain", return_hydra_config=True).hydra.launcher._target_.endswith("BasicLauncher")
        with pytest.raises(Exception, match="hydra/launcher/submitit_slurm"):
            compose("pretrain", overrides=["hydra/launcher=slurm"], return_hydra_config=True)


def test_slurm_preset_sets_one_gpu_per_job_over_the_plugin_schema(hydra_restore_singletons):
    register_schemas("pretrain")
    ConfigStore.instance().store(group="hydra/launcher", name="submitit_slurm", node=SlurmQueueConfFields)
    with initialize_config_dir(config_dir=str(config_dir()), version_base=None):
        cfg = compose("pretrain", overrides=["hydra/launcher=slurm", "hydra.launcher.partition=gpu"], return_hydra_config=True)
    launcher = cfg.hydra.launcher
    assert launcher._target_.endswith("submitit_launcher.SlurmLauncher")
    assert (launcher.gpus_per_node, launcher.tasks_per_node, launcher.partition) == (1, 1, "gpu")
    assert launcher.timeout_min == 240 and launcher.cpus_per_task == 8 and launcher.mem_gb == 32
