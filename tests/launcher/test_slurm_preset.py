"""conf/hydra/launcher/slurm.yaml, vmk's preset over hydra-submitit-launcher (the `slurm` extra): loaded
only when selected, its keys checked by the plugin's own schema. test_slurm_sweep.py runs it on a real SLURM."""

from hydra import compose, initialize_config_dir

from viewmaker_cli.cli import register_schemas
from viewmaker_cli.config import config_dir


def test_slurm_preset_sets_one_gpu_per_job_over_the_plugin_schema(hydra_restore_singletons):
    register_schemas("pretrain")
    with initialize_config_dir(config_dir=str(config_dir()), version_base=None):
        assert compose("pretrain", return_hydra_config=True).hydra.launcher._target_.endswith("BasicLauncher")
        cfg = compose("pretrain", overrides=["hydra/launcher=slurm", "hydra.launcher.partition=gpu"], return_hydra_config=True)
    launcher = cfg.hydra.launcher
    assert launcher._target_ == "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher"
    assert (launcher.gpus_per_node, launcher.tasks_per_node, launcher.partition) == (1, 1, "gpu")
    assert launcher.timeout_min == 240 and launcher.cpus_per_task == 8 and launcher.mem_gb == 32
