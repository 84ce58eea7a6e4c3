"""`hydra/launcher=parallel`: the options, registered in Hydra's ConfigStore (typed, checked by Hydra)."""

from dataclasses import dataclass
from typing import List, Optional

from hydra.core.config_store import ConfigStore


@dataclass
class ParallelLauncherConf:
    _target_: str = "hydra_plugins.vmk_launcher.parallel_launcher.ParallelLauncher"
    # GPU ids as CUDA_VISIBLE_DEVICES understands them (indices or UUIDs); each running job sees exactly one.
    # null: every GPU this process sees (none: CPU jobs). []: CPU jobs, GPUs hidden from the jobs.
    devices: Optional[List[str]] = None
    # Jobs running at once. null: one per device, or 1 on a machine without GPUs. With more jobs than
    # devices, jobs share GPUs round-robin (n_jobs=8 on 4 GPUs: two jobs per GPU).
    n_jobs: Optional[int] = None


ConfigStore.instance().store(group="hydra/launcher", name="parallel", node=ParallelLauncherConf, provider="vmk")
