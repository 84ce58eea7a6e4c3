"""Fetching dataset files from their official addresses: MD5-verified, and in place whole or not at all."""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import shutil
import tarfile
import urllib.request
import zlib
from pathlib import Path, PurePosixPath

from viewmaker_cli.core.atomic import atomic_output
from viewmaker_cli.core.progress import Progress
from viewmaker_cli.errors import UserError

log = logging.getLogger(__name__)


def fetch(url: str, dest: Path) -> None:
    """Copy the body at `url` into the file `dest` (replaced by a fake in tests)."""
    with urllib.request.urlopen(url, timeout=60) as response, open(dest, "wb") as out:
        size = response.headers.get("Content-Length", "")
        total = -(-int(size) // 2**20) if size.isdigit() else None
        done = 0
        with Progress(f"downloading {PurePosixPath(url).name}", total, "MiB") as progress:
            while chunk := response.read(1 << 20):
                out.write(chunk)
                done += len(chunk)
                progress.set(-(-done // 2**20))


def md5_of(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def make_dir(directory: Path, title: str) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(
            f"cannot create {directory} for the {title} download ({error.strerror}); "
            "set data.root=DIR to a writable folder"
        ) from error


def download_file(url: str, md5: str, dest: Path, title: str) -> None:
    """Download `url` to `dest`, which appears only once its MD5 matches."""
    make_dir(dest.parent, title)
    log.info("downloading %s", url)
    # Hidden (atomic_output), so neither a search nor a concurrent download takes it for the file.
    with atomic_output(dest) as tmp:
        try:
            fetch(url, tmp)
        except (OSError, http.client.HTTPException) as error:  # URLError is an OSError
            raise UserError(
                f"cannot download {url} ({getattr(error, 'reason', error)}); check the network, "
                f"or download it by hand into {dest.parent}"
            ) from error
        got = md5_of(tmp)
        if got != md5:
            raise UserError(
                f"{url} downloaded with MD5 {got}, expected {md5}; nothing was saved to {dest.parent}; "
                "try again later, or download it by hand"
            )


def _checked_members(tar: tarfile.TarFile, archive: Path, top: str) -> list[tarfile.TarInfo]:
    """The archive's entries, refusing any that is not a plain file or folder under `top/`."""
    members = tar.getmembers()
    for member in members:
        parts = PurePosixPath(member.name).parts
        # No absolute paths, no `..`, no links or devices: nothing may land outside `top/`.
        if not (member.isfile() or member.isdir()) or not parts or parts[0] != top or ".." in parts:
            raise UserError(
                f"{archive} holds an unexpected entry {member.name!r} (only files under {top}/ are allowed); "
                "nothing was extracted: delete it and download the original"
            )
    return members


def extract_tar(archive: Path, dest: Path, top: str) -> Path:
    """Extract `archive`, whose entries all lie under `top/`, to `dest/top`; returns that folder.

    Extraction goes to a hidden folder first and is renamed into place, so an interrupted run
    leaves no half-filled `top/` behind.
    """
    target = dest / top
    if target.exists():
        raise UserError(
            f"{target} exists but lacks files of the dataset; delete it (or move it away) and run again"
        )
    staging = dest / f".{top}.{os.getpid()}.part"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = _checked_members(tar, archive, top)
            # The "data" filter also refuses links and absolute paths and drops special permission bits.
            tar.extractall(staging, members=members, filter="data")
        os.replace(staging / top, target)
    except (tarfile.TarError, EOFError, zlib.error) as error:
        raise UserError(
            f"cannot extract {archive} ({error}): the archive is truncated or corrupt; "
            "delete it and download it again"
        ) from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def fetch_and_extract(url: str, md5: str, dest: Path, top: str, title: str) -> Path:
    """Download the tarball at `url` into `dest` (or use a verified copy already there) and extract it."""
    archive = dest / url.rsplit("/", 1)[-1]
    downloaded = not (archive.is_file() and md5_of(archive) == md5)
    if downloaded:
        download_file(url, md5, archive, title)
    target = extract_tar(archive, dest, top)
    if downloaded:  # extracted, the tarball only doubles the disk space (2.6 GB for STL-10)
        archive.unlink()
    return target
