"""Suite-wide settings. Under pytest-xdist (`-n 2`, see pyproject.toml) every worker, and every `vmk`
process a test starts, uses one intra-op thread: two workers × two threads on two cores only contend."""

import os

if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["OMP_NUM_THREADS"] = "1"  # inherited by subprocesses (CLI tests)
    import torch

    torch.set_num_threads(1)
