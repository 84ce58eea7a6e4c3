"""core/slurm.py: the job step's name that every task of a srun step computes alike (the default run dir
under SLURM, through the `slurm_step_or` resolver of conf/vmk_hydra.yaml), and the task count Lightning takes."""

import re

import pytest
from hydra import compose, initialize_config_dir

from viewmaker_cli.cli import register_schemas
from viewmaker_cli.config import config_dir
from viewmaker_cli.core import slurm


@pytest.fixture
def no_slurm(monkeypatch):
    for key in ("SLURM_JOB_ID", "SLURM_JOB_NAME", "SLURM_STEP_ID", "SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID",
                "SLURM_NTASKS"):
        monkeypatch.delenv(key, raising=False)
    return monkeypatch


@pytest.mark.parametrize("env, name", [
    ({}, None),
    ({"SLURM_JOB_ID": "42", "SLURM_JOB_NAME": "vmk", "SLURM_STEP_ID": "0"}, "slurm-42.0"),  # a srun step
    ({"SLURM_JOB_ID": "42", "SLURM_JOB_NAME": "train.sh"}, "slurm-42"),  # the batch script itself
    ({"SLURM_JOB_ID": "43", "SLURM_JOB_NAME": "vmk", "SLURM_STEP_ID": "1", "SLURM_ARRAY_JOB_ID": "40",
      "SLURM_ARRAY_TASK_ID": "3"}, "slurm-40_3.1"),  # sacct's JobID of an array task's step
    ({"SLURM_JOB_ID": "42", "SLURM_JOB_NAME": "interactive"}, None),  # a shell from salloc: runs keep their times
    ({"SLURM_JOB_ID": "42", "SLURM_JOB_NAME": "bash", "SLURM_STEP_ID": "0"}, None),  # srun --pty bash
])
def test_step_name_is_slurms_name_of_the_step(no_slurm, env, name):
    for key, value in env.items():
        no_slurm.setenv(key, value)
    assert slurm.step_name() == name


def test_the_default_run_dir_is_the_step_inside_slurm_and_the_start_time_elsewhere(no_slurm, hydra_restore_singletons):
    register_schemas("pretrain")
    with initialize_config_dir(config_dir=str(config_dir()), version_base=None):
        outside = compose("pretrain", return_hydra_config=True).hydra.run.dir
        no_slurm.setenv("SLURM_JOB_ID", "42")
        no_slurm.setenv("SLURM_JOB_NAME", "vmk")
        no_slurm.setenv("SLURM_STEP_ID", "0")
        inside = compose("pretrain", return_hydra_config=True).hydra.run.dir
    assert re.fullmatch(r"outputs/\d{4}-\d\d-\d\d/\d\d-\d\d-\d\d", outside), outside
    assert inside == "outputs/slurm-42.0"


@pytest.mark.parametrize("env, tasks", [
    ({}, None),
    ({"SLURM_NTASKS": "2", "SLURM_JOB_NAME": "vmk"}, 2),
    ({"SLURM_NTASKS": "2", "SLURM_JOB_NAME": "interactive"}, None),  # Lightning starts its own processes there
])
def test_srun_tasks_are_those_lightning_takes_as_its_processes(no_slurm, env, tasks):
    for key, value in env.items():
        no_slurm.setenv(key, value)
    assert slurm.srun_tasks() == tasks
