"""Lightning's side of data-parallel training: the DDP wrapper's settings for vmk's two-optimiser step, the
per-rank share of the view modules' noise, the layout line logged at start, the check of the processes srun
started, and the command line Lightning re-runs for ranks 1..N-1. The collectives themselves are in
core/dist.py."""

from __future__ import annotations

from contextlib import contextmanager, nullcontext
from typing import Iterator

import torch

from viewmaker_cli.core.dist import rank, world_size


def no_buffer_broadcast(model) -> None:
    """Switch off the per-step buffer broadcast of a DDP wrapper (any other model: nothing to do). Buffers
    need none: BatchNorm statistics are per rank (or synchronised by SyncBatchNorm), and the memory bank /
    queue are written with gathered rows, identically on every rank. The wrapper's one broadcast of the
    weights at construction still makes every rank start from rank 0's weights."""
    from torch.nn.parallel import DistributedDataParallel

    if isinstance(model, DistributedDataParallel):
        model.broadcast_buffers = False


def reducer_off(model):
    """Context for a backward pass that DDP's reducer must stay out of (see `average_gradients`): what
    `no_sync()` does (Lightning switches the reducer back on around every training_step)."""
    from torch.nn.parallel import DistributedDataParallel

    return model.no_sync() if isinstance(model, DistributedDataParallel) else nullcontext()


def shard_views(view: torch.nn.Module) -> None:
    """Tell the noise-drawing parts of a view module (Viewmaker, NoiseViews: a `shard` attribute) which
    rows of the global batch this rank holds, so they draw noise for the global batch and keep their rows."""
    if world_size() > 1:
        for module in view.modules():
            if hasattr(module, "shard"):
                module.shard = (rank(), world_size())


def plan(trainer, batch_size: int, encoder_lr: float, viewmaker_lr: float | None, sync_batchnorm: bool) -> str:
    """Check that the global batch splits over the trainer's processes; return the line that says how the
    run is laid out (logged once at start, so a run on N devices is never mistaken for one of N× the batch)."""
    from viewmaker_cli.errors import UserError

    world = trainer.world_size
    if batch_size % world:
        raise UserError(
            f"data.batch_size={batch_size} is the global batch and must split evenly over the {world} devices: "
            f"use a multiple of {world}"
        )
    if world > 1 and sync_batchnorm and trainer.strategy.root_device.type == "cpu":
        raise UserError("trainer.sync_batchnorm=true needs GPUs (torch's SyncBatchNorm has no CPU kernel)")
    lrs = f"encoder lr {encoder_lr:g}" + (f", viewmaker lr {viewmaker_lr:g}" if viewmaker_lr is not None else "")
    if world == 1:
        return f"global batch {batch_size} on 1 device; {lrs}"
    bn = "BatchNorm over the global batch (SyncBatchNorm)" if sync_batchnorm else "BatchNorm statistics per device"
    return (
        f"global batch {batch_size} = {world} devices x {batch_size // world}; negatives gathered across devices; "
        f"{bn}; {lrs} (not scaled with the number of devices)"
    )


def check_srun_tasks(trainer: dict) -> None:
    """Under srun the run's processes are SLURM's tasks (Lightning starts none): they must be laid out per node
    (--ntasks-per-node) and be exactly trainer.devices on each of trainer.num_nodes machines. Checked before
    any data is loaded: Lightning finds the first mistake late (two tracebacks), and does not see the second
    with one device (every task trains the whole run into the same dir)."""
    import os

    from viewmaker_cli.core import slurm
    from viewmaker_cli.core.device import device_count
    from viewmaker_cli.errors import UserError

    tasks = slurm.srun_tasks()
    if tasks is None:
        return
    devices, nodes = device_count(trainer["accelerator"], trainer["devices"]), trainer["num_nodes"]
    per_node = os.environ.get("SLURM_NTASKS_PER_NODE")
    slurm_nodes = int(os.environ.get("SLURM_NNODES", "1"))
    if tasks > 1 and per_node is None:
        error = (f"srun started {tasks} tasks without --ntasks-per-node, which Lightning needs: use "
                 f"srun --nodes={nodes} --ntasks-per-node={devices} for trainer.num_nodes={nodes} trainer.devices={devices}")
    elif tasks != devices * nodes or int(per_node or tasks) != devices or slurm_nodes != nodes:
        error = (f"srun started {tasks} task(s) ({slurm_nodes} node(s) x {per_node or tasks}) but trainer.num_nodes={nodes} "
                 f"x trainer.devices={devices} = {devices * nodes} process(es): set trainer.num_nodes={slurm_nodes} "
                 f"trainer.devices={per_node or tasks}, or srun --nodes={nodes} --ntasks-per-node={devices}")
    else:
        return
    if os.environ.get("SLURM_PROCID", "0") != "0" and not _in_sweep():
        raise SystemExit(2)  # task 0 says why: one line, not one per task
    raise UserError(error)


def _in_sweep() -> bool:
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


@contextmanager
def relaunchable_argv(command: str, trainer) -> Iterator[None]:
    """Lightning's DDP starts ranks 1..N-1 by re-running this process's command line (`sys.argv`, plus
    `hydra.run.dir=` of this run). vmk's dispatcher leaves `sys.argv` as ["vmk CMD", overrides...], which
    cannot be re-run: point it at the `vmk` script of this interpreter and put the subcommand back. Nothing
    to do when srun or torchrun started the processes."""
    import shutil
    import sys
    from pathlib import Path

    from viewmaker_cli.errors import UserError

    environment = getattr(trainer.strategy, "cluster_environment", None)
    if trainer.world_size == 1 or (environment is not None and environment.creates_processes_externally):
        yield
        return
    if _in_sweep():
        # The re-run command line would start the whole sweep again in every rank.
        raise UserError(
            "a sweep (-m) cannot run multi-device jobs on this machine: run each multi-device job on its own, "
            "sweep with one device per job (trainer.devices=1), or on SLURM (hydra/launcher=slurm "
            "hydra.launcher.tasks_per_node=N)"
        )
    saved = list(sys.argv)
    # Lightning runs [this interpreter, script, ...]: any vmk console script only imports viewmaker_cli.cli.
    script = Path(sys.executable).with_name("vmk")
    if not script.is_file():
        found = shutil.which("vmk")
        script = Path(found) if found else Path(__file__).resolve().parent.parent / "__main__.py"
    sys.argv = [str(script), command, *saved[1:]]
    try:
        yield
    finally:
        sys.argv = saved
