"""Console noise a vmk user cannot act on, off at its source: Lightning's (every command that runs Lightning:
`vmk pretrain`, `vmk bench`) and TensorBoard's (`vmk tb`)."""

from __future__ import annotations

import logging
import warnings

from viewmaker_cli.core import slurm


def quiet_lightning() -> None:
    """Keep the console for vmk's own lines: Lightning's tips and known-harmless warnings go."""
    logging.getLogger("lightning.pytorch.utilities.rank_zero").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\).*")
    warnings.filterwarnings("ignore", message=r".*`IterableDataset` has `__len__` defined.*")
    # vmk's batches resume at the checkpoint's step by themselves (data/batches.py: start_at), which Lightning
    # cannot see: its warning that a mid-epoch resume may be unreliable does not apply.
    warnings.filterwarnings("ignore", message=r".*your dataloader is not resumable.*")
    # vmk's step is both networks' updates (manual optimisation); a checkpoint after the step is what a resumed
    # run continues from, not the "pre-optimization state" Lightning's multi-line warning offers to keep.
    warnings.filterwarnings("ignore", message=r".*Using ModelCheckpoint with manual optimization and every_n_train_steps.*")
    # A run dir with checkpoints is only trained in again by the run that wrote them (training/run_dir.py refuses
    # any other), so Lightning's "Checkpoint directory ... exists and is not empty" at every resume says nothing.
    warnings.filterwarnings("ignore", message=r"Checkpoint directory .* exists and is not empty")
    if not slurm.in_job():
        # Lightning warns on any machine with `srun` installed (every HPC login node, and this machine once its
        # local SLURM is installed) that it is not used; it only applies inside a SLURM allocation.
        warnings.filterwarnings("ignore", message=r".*The `srun` command is available on your system but is not used.*")


def quiet_tensorboard() -> None:
    """TensorBoard's note on its "experimental fast data loading" asks for bug reports to TensorBoard: nothing a
    vmk user can act on. Only the note goes: `--load_fast=auto` still falls back when the fast loader is missing."""
    from tensorboard import program

    program._DATA_SERVER_ADVISORY_MESSAGE = ""
