"""Multi-device settings a user can get wrong: one line and exit 2, before any process is started.

The real CLI in this process (a second start-up of torch and Lightning per case would cost seconds)."""

import json
import os

import pytest

TINY = ["model.width=4", "views.width=4", "views.num_res_blocks=1", "trainer.max_steps=1", "probe.enabled=false",
        "trainer.accelerator=cpu"]


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["data.batch_size=6", "trainer.devices=4"], "data.batch_size=6 is the global batch and must split evenly over the 4 devices"),
        (["data.batch_size=8", "trainer.devices=2", "trainer.sync_batchnorm=true"], "trainer.sync_batchnorm=true needs GPUs"),
        (["trainer.strategy=ddp_spawn"], "trainer.strategy=ddp_spawn is not supported (choose from: auto, ddp)"),
    ],
    ids=["batch-not-divisible", "syncbn-on-cpu", "unsupported-strategy"],
)
def test_multi_device_mistakes_are_one_line_and_exit_2(overrides, message, tmp_path, vmk):
    code, _, err = vmk("pretrain", *TINY, *overrides, f"hydra.run.dir={tmp_path / 'run'}")
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and message in lines[0], err
    assert not (tmp_path / "run" / "checkpoints").exists() and not (tmp_path / "run" / "results.json").exists()


SRUN_2_TASKS = {"SLURM_JOB_ID": "42", "SLURM_JOB_NAME": "vmk", "SLURM_STEP_ID": "0", "SLURM_NTASKS": "2",
                "SLURM_NNODES": "1", "SLURM_PROCID": "0"}


@pytest.mark.parametrize(
    "env, overrides, message",
    [
        ({}, ["trainer.devices=2"], "srun started 2 tasks without --ntasks-per-node, which Lightning needs: "
                                    "use srun --nodes=1 --ntasks-per-node=2 for trainer.num_nodes=1 trainer.devices=2"),
        ({"SLURM_NTASKS_PER_NODE": "2"}, ["trainer.devices=1"],
         "srun started 2 task(s) (1 node(s) x 2) but trainer.num_nodes=1 x trainer.devices=1 = 1 process(es): "
         "set trainer.num_nodes=1 trainer.devices=2, or srun --nodes=1 --ntasks-per-node=1"),
        ({"SLURM_NTASKS_PER_NODE": "2"}, ["trainer.devices=auto"], "trainer.devices=1 = 1 process(es)"),  # auto: 1 CPU process
        ({"SLURM_NTASKS_PER_NODE": "2"}, ["trainer.devices=2", "trainer.num_nodes=2"], "= 4 process(es): set trainer.num_nodes=1"),
    ],
    ids=["ntasks-without-per-node", "two-tasks-one-device", "two-tasks-auto-on-cpu", "one-node-not-two"],
)
def test_srun_tasks_that_do_not_fit_the_run_are_one_line_and_exit_2(env, overrides, message, tmp_path, vmk, monkeypatch):
    """SLURM's environment as srun sets it for task 0 (tests/distributed/test_srun.py runs the real srun)."""
    for key, value in {**SRUN_2_TASKS, **env}.items():
        monkeypatch.setenv(key, value)
    code, _, err = vmk("pretrain", *TINY, "data.batch_size=8", *overrides, f"hydra.run.dir={tmp_path / 'run'}")
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("vmk: error: ") and message in lines[0], err
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_the_other_srun_tasks_stop_without_a_word(tmp_path, vmk, monkeypatch):
    for key, value in {**SRUN_2_TASKS, "SLURM_PROCID": "1"}.items():
        monkeypatch.setenv(key, value)
    code, out, err = vmk("pretrain", *TINY, "trainer.devices=2", f"hydra.run.dir={tmp_path / 'run'}")
    assert code == 2 and not err.strip() and "error" not in out


def test_num_nodes_is_a_setting_of_its_own(tmp_path, vmk):
    code, _, err = vmk("pretrain", *TINY, "+trainer.num_nodes=2", f"hydra.run.dir={tmp_path / 'run'}")
    assert code == 2 and "trainer.num_nodes" in err and len(err.strip().splitlines()) == 1, err  # not added and ignored
    code, _, err = vmk("pretrain", *TINY, "trainer.num_nodes=0", f"hydra.run.dir={tmp_path / 'run'}")
    assert code == 2 and err.strip() == "vmk: error: trainer.num_nodes must be at least 1 (the machines the run trains on), got 0"


def test_a_sweep_of_multi_device_jobs_is_refused_off_slurm(tmp_path, vmk, monkeypatch, hydra_restore_singletons):
    """Lightning would re-run the sweep's command line for each rank; under srun the tasks exist already."""
    for key in [k for k in os.environ if k.startswith("SLURM_")]:
        monkeypatch.delenv(key)
    code, _, err = vmk("pretrain", "-m", *TINY, "data.batch_size=8", "trainer.devices=2", f"hydra.sweep.dir={tmp_path}")
    assert code == 1 and "a sweep (-m) cannot run multi-device jobs on this machine" in err, err
    assert json.loads(next(tmp_path.glob("*/results.json")).read_text())["status"] == "failed"


@pytest.mark.parametrize("accelerator, devices, count", [
    ("cpu", 2, 2), ("cpu", "3", 3), ("cpu", "auto", 1), ("cpu", -1, 1), ("gpu", [0, 1], 2), ("gpu", "0,1,2", 3),
])
def test_the_process_count_of_trainer_devices(accelerator, devices, count):
    """What srun's tasks are checked against: Lightning's reading of trainer.devices (no GPU on this machine)."""
    from viewmaker_cli.core.device import device_count

    assert device_count(accelerator, devices) == count
