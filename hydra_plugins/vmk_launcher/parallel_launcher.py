"""`hydra/launcher=parallel`: Hydra's basic launcher, but jobs run at once, each in a fresh process.

A fresh process per job (not a pool of reused workers) is what lets each job get its own
CUDA_VISIBLE_DEVICES before CUDA starts, and keeps a crash, a CUDA OOM or a kill in one job from
taking down the others. The job itself runs through Hydra's `run_job` in the child (see _worker.py).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, List, Optional, Sequence

from hydra.core.utils import JobReturn, JobStatus, configure_log, filter_overrides, setup_globals
from hydra.errors import CompactHydraException
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

from hydra_plugins.vmk_launcher._slots import plan_slots, threads_per_job
from viewmaker_cli.core.interrupt import Interrupted
from viewmaker_cli.reporting import failed_jobs

log = logging.getLogger(__name__)
POLL_S = 0.1
STOP_WAIT_S = 10  # after SIGTERM, before SIGKILL, for a job left running by a launcher that failed
INTERRUPTED_WAIT_S = 120  # for a stopped job to finish its step and write its checkpoint


class JobDied(CompactHydraException):
    """A job's process ended without a result. Hydra prints a CompactHydraException as one line."""


class _Running:  # not a dataclass: Hydra's plugin scan runs this module before it is in sys.modules
    def __init__(self, idx: int, overrides: List[str], process: subprocess.Popen, result: Path) -> None:
        self.idx, self.overrides, self.process, self.result = idx, overrides, process, result


class ParallelLauncher(Launcher):
    def __init__(self, devices: Optional[Sequence[Any]] = None, n_jobs: Optional[int] = None) -> None:
        self.devices = None if devices is None else [str(d) for d in devices]
        self.n_jobs = n_jobs
        self.slots, self.hide_gpus = plan_slots(self.devices, n_jobs)  # a bad setting fails before any job
        self.config: Optional[DictConfig] = None
        self.hydra_context: Optional[HydraContext] = None
        self.task_function: Optional[TaskFunction] = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config = config
        self.hydra_context = hydra_context
        self.task_function = task_function

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        import cloudpickle
        from hydra.core.singleton import Singleton

        setup_globals()
        assert self.config is not None and self.hydra_context is not None and self.task_function is not None
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        Path(str(self.config.hydra.sweep.dir)).mkdir(parents=True, exist_ok=True)
        gpus = sorted({s for s in self.slots if s is not None}, key=self.slots.index)
        where = f"GPUs {','.join(gpus)}, one per job" if gpus else "the CPU"
        if not gpus and self.n_jobs is None:
            where += " (no GPU: hydra.launcher.n_jobs=N runs N CPU jobs at once)"
        log.info(f"Launching {len(job_overrides)} jobs, {len(self.slots)} at a time, each in its own process, on {where}")
        with tempfile.TemporaryDirectory(prefix="vmk-launcher-") as scratch:
            payload = Path(scratch) / "payload.pkl"
            payload.write_bytes(cloudpickle.dumps({
                "task_function": self.task_function, "hydra_context": self.hydra_context,
                "config": self.config, "singleton_state": Singleton.get_state(),
            }))
            return self._run_all(job_overrides, initial_job_idx, payload, Path(scratch))

    def _run_all(self, job_overrides, initial_job_idx: int, payload: Path, scratch: Path) -> List[JobReturn]:
        pending = [(initial_job_idx + i, list(o)) for i, o in enumerate(job_overrides)]
        returns: dict[int, JobReturn] = {}
        free = list(range(len(self.slots)))
        running: dict[int, _Running] = {}
        stop_signal, wait_s = signal.SIGTERM, STOP_WAIT_S
        try:
            while pending or running:
                while pending and free:
                    slot = free.pop(0)
                    running[slot] = self._start(*pending.pop(0), self.slots[slot], payload, scratch)
                time.sleep(POLL_S)
                for slot, job in list(running.items()):
                    if job.process.poll() is not None:
                        returns[job.idx] = _collect(job)
                        del running[slot]
                        free = sorted([*free, slot])
        except Interrupted as stop:  # Ctrl-C or SIGTERM: no more jobs start; the running ones get the same signal,
            stop_signal, wait_s = stop.signum, INTERRUPTED_WAIT_S  # save their step and mark themselves interrupted
            raise
        finally:  # interrupted or failed here: leave no job running behind us
            for job in running.values():
                _stop(job.process, stop_signal, wait_s)
        return [returns[initial_job_idx + i] for i in range(len(job_overrides))]

    def _start(self, idx: int, overrides: List[str], gpu: Optional[str], payload: Path, scratch: Path) -> _Running:
        env = dict(os.environ)
        if gpu is not None:
            env["CUDA_VISIBLE_DEVICES"] = gpu
        elif self.hide_gpus:
            env["CUDA_VISIBLE_DEVICES"] = ""
        env.setdefault("OMP_NUM_THREADS", str(threads_per_job(len(self.slots))))  # a user's own setting wins
        spec = {"idx": idx, "overrides": overrides, "payload": str(payload), "result": str(scratch / f"{idx}.pkl"),
                "sys_path": [p for p in sys.path if p]}
        spec_path = scratch / f"{idx}.json"
        spec_path.write_text(json.dumps(spec))
        device = f"CUDA_VISIBLE_DEVICES={env['CUDA_VISIBLE_DEVICES']}" if "CUDA_VISIBLE_DEVICES" in env else "CPU"
        log.info(f"\t#{idx} : {' '.join(filter_overrides(overrides))} ({device})")
        # the parent's -X/-W/-O flags too, as multiprocessing passes them to its children
        command = [sys.executable, *subprocess._args_from_interpreter_flags(), "-m", "hydra_plugins.vmk_launcher._worker",
                   str(spec_path)]
        return _Running(idx, overrides, subprocess.Popen(command, env=env), scratch / f"{idx}.pkl")


def _collect(job: _Running) -> JobReturn:
    """The child's JobReturn; for a child that died without one (killed, out of memory, segfault), a
    failed JobReturn that says so: Hydra's sweeper raises it once the other jobs are done."""
    import cloudpickle

    if job.result.is_file():  # a job that raised printed its traceback to stderr already (_worker.py)
        return cloudpickle.loads(job.result.read_bytes())
    code = job.process.returncode
    if code < 0:
        how = f"was killed by {_signal_name(-code)}"
    elif code - 128 in (signal.SIGINT, signal.SIGTERM):  # someone stopped this job alone (core/interrupt.py)
        how = f"was stopped by {_signal_name(code - 128)} (its results.json says where)"
    else:
        how = f"exited with code {code}"
    message = f"job {job.idx} ({' '.join(filter_overrides(job.overrides))}) {how} before it finished"
    log.error(message)
    failed_jobs.report(message)  # so that vmk exits 1 naming it, like a job that raised
    return JobReturn(overrides=job.overrides, status=JobStatus.FAILED, _return_value=JobDied(message))


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name + (" (out of memory?)" if number == signal.SIGKILL else "")
    except ValueError:
        return f"signal {number}"


def _stop(process: subprocess.Popen, signum: int, wait_s: float) -> None:
    process.send_signal(signum)
    try:
        process.wait(timeout=wait_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
