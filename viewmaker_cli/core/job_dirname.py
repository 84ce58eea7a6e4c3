"""A sweep job's folder name (hydra.sweep.subdir): the job number and a slug of its overrides, one flat
file name of at most 80 bytes whatever the overrides hold. The overrides themselves stay in the job's
`.hydra/overrides.yaml`, which is what `vmk report` names configurations from."""

from __future__ import annotations

import hashlib
import re

RESOLVER = "vmk_job_dirname"
MAX_SLUG = 64
# '/' would nest folders; ',', '=', '[', ' ' and quotes would need quoting in a later `ckpt=DIR/...`.
UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def job_dirname(num: int, overrides: str) -> str:
    """`NUM_SLUG`: `overrides` (Hydra's override_dirname, e.g. budget-0.02_seed-1) with every run of unsafe
    characters made one '.', cut to MAX_SLUG characters with a hash of the whole when longer."""
    overrides = "" if overrides is None else str(overrides)
    slug = UNSAFE.sub(".", overrides).strip(".")
    if len(slug) > MAX_SLUG:
        digest = hashlib.sha256(overrides.encode()).hexdigest()[:8]
        slug = f"{slug[: MAX_SLUG - len(digest) - 1].rstrip('._-')}-{digest}"
    return f"{num}_{slug}" if slug else str(num)


def register() -> None:
    """The resolver conf/vmk_hydra.yaml's hydra.sweep.subdir calls; every process that starts a job needs it."""
    from omegaconf import OmegaConf

    OmegaConf.register_new_resolver(RESOLVER, job_dirname, replace=True)
