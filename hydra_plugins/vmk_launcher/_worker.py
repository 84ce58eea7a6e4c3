"""One sweep job in its own process: `python -m hydra_plugins.vmk_launcher._worker SPEC.json`.

The parent (parallel_launcher.py) wrote the shared payload (task function, Hydra context, sweep config,
Hydra's singletons) with cloudpickle and this job's spec as JSON. Like Hydra's joblib launcher, the job
runs through Hydra's own `run_job`, so its dir, `.hydra/` files, logging, callbacks and MULTIRUN mode are
those of the basic launcher. The JobReturn goes back through a file written atomically.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
import traceback
from pathlib import Path

log = logging.getLogger("vmk.launcher")


def main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    # The parent may import the task's modules from folders a fresh interpreter does not search.
    sys.path[:0] = [p for p in spec["sys_path"] if p not in sys.path]

    from hydra.core.utils import JobReturn, JobStatus
    from hydra.errors import CompactHydraException

    try:
        ret = run(spec)
    except Exception as error:  # e.g. this job's overrides do not compose: reported as Hydra would
        if not isinstance(error, CompactHydraException):  # Hydra prints those as one line, in the parent
            traceback.print_exc()
        ret = JobReturn(overrides=list(spec["overrides"]), status=JobStatus.FAILED, _return_value=error)
    write_result(ret, Path(spec["result"]))


def run(spec: dict):
    import cloudpickle
    from hydra.core.singleton import Singleton
    from hydra.core.utils import JobStatus, run_job, setup_globals
    from omegaconf import open_dict

    payload = cloudpickle.loads(Path(spec["payload"]).read_bytes())
    setup_globals()
    Singleton.set_state(payload["singleton_state"])
    context = payload["hydra_context"]
    config = context.config_loader.load_sweep_config(payload["config"], list(spec["overrides"]))
    with open_dict(config):  # as Hydra's basic launcher numbers its jobs
        config.hydra.job.id = spec["idx"]
        config.hydra.job.num = spec["idx"]
    ret = run_job(hydra_context=context, task_function=announced(payload["task_function"], spec["idx"]),
                  config=config, job_dir_key="hydra.sweep.dir", job_subdir_key="hydra.sweep.subdir")
    if ret.status == JobStatus.FAILED:  # the traceback does not travel with the pickled error: show it here
        print(f"job {spec['idx']} failed:", file=sys.stderr)
        traceback.print_exception(ret._return_value, file=sys.stderr)
    return ret


def announced(task, idx: int):
    """`task`, first logging where this job runs: the line lands in the job's own log file."""

    @functools.wraps(task)
    def job(cfg):
        gpu = os.environ.get("CUDA_VISIBLE_DEVICES")
        where = "CPU" if gpu is None else f"CUDA_VISIBLE_DEVICES={gpu}"
        threads = os.environ.get("OMP_NUM_THREADS", "default")
        log.info(f"job {idx} runs in process {os.getpid()} on {where} (OMP_NUM_THREADS={threads})")
        return task(cfg)

    return job


def write_result(ret, path: Path) -> None:
    import cloudpickle
    from hydra.core.utils import JobStatus

    try:
        data = cloudpickle.dumps(ret)
    except Exception as error:  # the parent needs the JobReturn; say why its value could not travel
        what = "error" if ret.status == JobStatus.FAILED else "return value"
        ret.status = JobStatus.FAILED
        ret._return_value = RuntimeError(f"the job's {what} could not be sent back to the launcher ({error}): "
                                         f"{ret._return_value!r}")
        data = cloudpickle.dumps(ret)
    from viewmaker_cli.core.atomic import atomic_output

    with atomic_output(path) as tmp:  # the parent never reads half a result
        tmp.write_bytes(data)


if __name__ == "__main__":
    main(sys.argv[1])
