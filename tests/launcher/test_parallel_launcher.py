"""hydra/launcher=parallel at the Hydra level, with tiny task functions (no torch): Hydra's own launcher
test suite (the basic launcher's semantics), then what this launcher adds: one process per job, one
device per job, jobs really at once, and a crashed or killed job that leaves the others alone."""

import os
import signal
import time

import pytest
from hydra.errors import CompactHydraException
from hydra.test_utils.launcher_common_tests import LauncherTestSuite
from hydra.version import VersionBase, __compat_version__

from hydra_plugins.vmk_launcher._slots import plan_slots, threads_per_job

pytestmark = pytest.mark.usefixtures("hydra_restore_singletons")  # sweeps here leave no Hydra state behind


@pytest.mark.parametrize("launcher_name, overrides", [("parallel", ["hydra.launcher.n_jobs=2"])])
class TestHydraLauncherSuite(LauncherTestSuite):
    """Job dirs, .hydra/ files, overrides, job numbers, configs, resolvers and JobReturns as Hydra expects."""

    # Covered by test_sweep_2_jobs and test_sweep_and_override (config groups): not worth their seconds.
    test_sweep_1_job = test_sweep_1_job_strict = test_sweep_2_optimizers = None
    test_sweep_over_unspecified_mandatory_default = None

    @pytest.fixture(autouse=True)
    def hydra_1_1_defaults(self, hydra_restore_singletons):
        """The suite's app sets no version_base, which in a fresh process means Hydra 1.1's defaults (jobs
        chdir into their dirs); an earlier test in this process (vmk's configs: version_base=None) may
        have left another in Hydra's singletons. The singletons are restored after each test."""
        VersionBase.instance().setbase(__compat_version__)


def sweep(hydra_sweep_runner, tmp_path, task, overrides, configure_logging=False):
    return hydra_sweep_runner(calling_file=None, calling_module="hydra.test_utils.a_module", task_function=task,
                              config_path="configs", config_name="compose", overrides=["hydra/launcher=parallel", *overrides],
                              temp_dir=tmp_path / "sweep", configure_logging=configure_logging)


def test_each_job_runs_in_its_own_process_on_exactly_one_device(hydra_sweep_runner, tmp_path, monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    barrier = tmp_path / "barrier"
    barrier.mkdir()

    def task(cfg):
        if cfg.a < 2:  # jobs 0 and 1 each wait for the other: they can only both finish if they run at once
            (barrier / str(cfg.a)).touch()
            deadline = time.time() + 120
            while not (barrier / str(1 - cfg.a)).exists() and time.time() < deadline:
                time.sleep(0.05)
        met = (barrier / str(1 - cfg.a)).exists() if cfg.a < 2 else None
        return os.getpid(), os.environ.get("CUDA_VISIBLE_DEVICES"), os.environ.get("OMP_NUM_THREADS"), met

    overrides = ["+a=0,1,2", "hydra.launcher.devices=[3,GPU-5b]"]
    with sweep(hydra_sweep_runner, tmp_path, task, overrides, configure_logging=True) as run:
        returns = run.returns[0]
        logs = [open(os.path.join(r.hydra_cfg.hydra.runtime.output_dir, f"{r.task_name}.log")).read() for r in returns]
    assert [r.hydra_cfg.hydra.job.num for r in returns] == [0, 1, 2]
    assert [r.overrides for r in returns] == [["+a=0"], ["+a=1"], ["+a=2"]]
    pids, devices, threads, met = zip(*(r.return_value for r in returns))
    assert len(set(pids)) == 3 and os.getpid() not in pids
    assert devices[:2] == ("3", "GPU-5b") and devices[2] in ("3", "GPU-5b")  # job 2 takes the slot freed first
    assert met[:2] == (True, True)
    assert set(threads) == {str(threads_per_job(2))}
    for r, log in zip(returns, logs):  # the device assignment is in the job's own log
        pid, device = r.return_value[:2]
        assert f"job {r.hydra_cfg.hydra.job.num} runs in process {pid} on CUDA_VISIBLE_DEVICES={device}" in log


def test_empty_device_list_runs_cpu_jobs_with_the_gpus_hidden(hydra_sweep_runner, tmp_path, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "4,6")  # what the default would hand out: see test_slot_plan

    def task(cfg):
        return os.environ.get("CUDA_VISIBLE_DEVICES")

    with sweep(hydra_sweep_runner, tmp_path, task, ["+a=0,1", "hydra.launcher.devices=[]", "hydra.launcher.n_jobs=2"]) as run:
        assert [r.return_value for r in run.returns[0]] == ["", ""]


def test_a_failing_job_raises_its_own_error_after_the_others_finished(hydra_sweep_runner, tmp_path):
    def task(cfg):
        if cfg.a == 0:
            raise ValueError("no good value: 0")
        time.sleep(0.5)  # finishes after job 0 failed
        (tmp_path / f"done-{cfg.a}").touch()
        return cfg.a

    with pytest.raises(ValueError, match="no good value: 0"):
        with sweep(hydra_sweep_runner, tmp_path, task, ["+a=0,1", "hydra.launcher.n_jobs=2"]):
            pass
    assert (tmp_path / "done-1").exists()


def test_a_killed_job_is_reported_and_the_others_complete(hydra_sweep_runner, tmp_path, monkeypatch):
    failed = tmp_path / "failed-jobs.txt"  # what `vmk` reads to exit 1 naming the job (cli._failed_jobs_log)
    failed.touch()
    monkeypatch.setenv("VMK_FAILED_JOBS_FILE", str(failed))

    def task(cfg):
        if cfg.a == 1:
            os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's OOM killer would
        time.sleep(0.5)
        (tmp_path / f"done-{cfg.a}").touch()
        return cfg.a

    # Hydra prints a CompactHydraException as its message alone (no traceback of the launcher's frames)
    with pytest.raises(CompactHydraException, match=r"job 1 \(\+a=1\) was killed by SIGKILL"):
        with sweep(hydra_sweep_runner, tmp_path, task, ["+a=0,1,2", "hydra.launcher.n_jobs=2"]):
            pass
    assert (tmp_path / "done-0").exists() and (tmp_path / "done-2").exists()
    assert failed.read_text().splitlines() == ["job 1 (+a=1) was killed by SIGKILL (out of memory?) before it finished"]


def test_slot_plan(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")
    assert plan_slots(None, None) == (["2", "3"], False)
    assert plan_slots(None, 3) == (["2", "3", "2"], False)  # more jobs than GPUs: they share, round-robin
    assert plan_slots([5], None) == (["5"], False)
    assert plan_slots([], 2) == ([None, None], True)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1,-1,2")  # CUDA stops at the first invalid id
    assert plan_slots(None, None) == (["1"], False)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert plan_slots(None, None) == ([None], False) and plan_slots(None, 4) == ([None] * 4, False)
    with pytest.raises(ValueError, match="n_jobs must be 1 or more"):
        plan_slots(None, 0)
    with pytest.raises(ValueError, match="'0,1' is not one GPU id"):
        plan_slots(["0,1"], None)


def test_a_signal_stops_the_sweep_and_reaches_every_running_job(hydra_sweep_runner, tmp_path):
    """SIGTERM to the sweep's process (vmk runs it inside `interruptible`): no further job starts, and each
    running job gets the same signal, to save its step and mark itself (here: note which signal came)."""
    import threading

    from viewmaker_cli.core.interrupt import Interrupted, interruptible

    def task(cfg):
        (tmp_path / f"started-{cfg.a}").touch()
        with interruptible():
            try:
                time.sleep(120)
            except Interrupted as stop:
                (tmp_path / f"stopped-{cfg.a}").write_text(stop.signum.name)
                raise

    def stop_when_both_run():
        deadline = time.time() + 120
        while not all((tmp_path / f"started-{a}").exists() for a in (0, 1)) and time.time() < deadline:
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=stop_when_both_run, daemon=True).start()
    started = time.time()
    with pytest.raises(Interrupted) as stop, interruptible():
        with sweep(hydra_sweep_runner, tmp_path, task, ["+a=0,1,2", "hydra.launcher.n_jobs=2"]):
            pass
    assert stop.value.code == 143
    assert [(tmp_path / f"stopped-{a}").read_text() for a in (0, 1)] == ["SIGTERM", "SIGTERM"]
    assert not (tmp_path / "started-2").exists() and time.time() - started < 100
