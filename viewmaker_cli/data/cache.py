"""Prepared datasets as one tensor file each: decode and transform once, train from the cache after.

A cache entry is keyed by the dataset name and its options, and stamped with a fingerprint of the source
files (relative path, size, modification time). A re-run with unchanged sources loads the file; a changed
source prepares it again. Files are written atomically and read with weights_only=True.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

import torch

from viewmaker_cli.core.atomic import atomic_output
from viewmaker_cli.data.splits import Splits
from viewmaker_cli.errors import UserError

CACHE_VERSION = 1


def cache_home() -> Path:
    return Path(os.environ.get("VMK_CACHE") or Path(os.environ.get("VMK_DATA") or Path.home() / ".cache" / "vmk" / "data") / "prepared").expanduser()


def options_key(name: str, options: dict) -> str:
    digest = hashlib.sha256(json.dumps(options, sort_keys=True, default=str).encode()).hexdigest()[:12]
    return f"{name}-{digest}"


def fingerprint(source: Path | None, options: dict) -> str:
    """Hash of the options and of every file under `source` (path, size, mtime)."""
    h = hashlib.sha256(json.dumps({"version": CACHE_VERSION, "options": options}, sort_keys=True, default=str).encode())
    if source is not None:
        files = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
        for path in files:
            stat = path.stat()
            h.update(f"{path.relative_to(source) if path != source else path.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return h.hexdigest()


def cache_path(name: str, options: dict) -> Path:
    return cache_home() / f"{options_key(name, options)}.pt"


def save(path: Path, splits: Splits, stamp: str) -> None:
    with atomic_output(path) as tmp:
        torch.save({"cache_version": CACHE_VERSION, "fingerprint": stamp, "splits": dataclasses.asdict(splits)}, tmp)


def load(path: Path, stamp: str) -> Splits | None:
    """The cached splits if the file exists and matches `stamp`; None otherwise (also for a damaged file)."""
    if not path.is_file():
        return None
    try:
        entry = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # damaged or foreign: prepare again rather than fail
        return None
    if not isinstance(entry, dict) or entry.get("fingerprint") != stamp or entry.get("cache_version") != CACHE_VERSION:
        return None
    try:
        return Splits(**entry["splits"])
    except (TypeError, UserError):
        return None
