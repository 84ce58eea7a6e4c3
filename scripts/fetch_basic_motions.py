"""Fetch the BasicMotions files embedded in vmk from the aeon 1.6.0 wheel (aeon is not a vmk dependency).

Run from the repository root (needs network access to PyPI once):

    python scripts/fetch_basic_motions.py [--wheel PATH] [--out DIR]

Without --wheel it runs `python -m pip download --no-deps aeon==1.6.0` into a temporary folder, never
installing aeon (it would downgrade numba/numpy under librosa). It then copies
`aeon/datasets/data/BasicMotions/BasicMotions_{TRAIN,TEST}.ts` byte for byte out of the wheel, after
checking each against the SHA-256 recorded in the wheel's RECORD and in this script.
The README and LICENSE next to the files are kept by hand.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEEL = "aeon==1.6.0"
MEMBER_DIR = "aeon/datasets/data/BasicMotions/"
FILES = ("BasicMotions_TRAIN.ts", "BasicMotions_TEST.ts")
# SHA-256 of the files as shipped in aeon-1.6.0-py3-none-any.whl (and so in vmk).
SHA256 = {
    "BasicMotions_TRAIN.ts": "8dc43cc6306cb679c888c01e26f91772ac4441a916da43bac8b79734a538b9d6",
    "BasicMotions_TEST.ts": "79213102bc6fca1a398ad98ce1185dff0208fa3d1465e687f48288946b0ff8dc",
}
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "viewmaker_cli" / "data" / "embedded" / "basic-motions"


def download_wheel(directory: Path) -> Path:
    """Download (not install) the aeon wheel into `directory` and return its path."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", WHEEL, "-d", str(directory)],
        check=True,
    )
    (wheel,) = directory.glob("aeon-*.whl")
    return wheel


def record_hashes(wheel: zipfile.ZipFile) -> dict[str, str]:
    """The wheel's own SHA-256 (hex) of each member, from its RECORD file."""
    (record,) = [name for name in wheel.namelist() if name.endswith(".dist-info/RECORD")]
    hashes = {}
    for row in csv.reader(io.TextIOWrapper(wheel.open(record), encoding="utf-8")):
        if len(row) >= 2 and row[1].startswith("sha256="):
            digest = base64.urlsafe_b64decode(row[1].removeprefix("sha256=") + "==")
            hashes[row[0]] = digest.hex()
    return hashes


def extract(wheel_path: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel_path) as wheel:
        recorded = record_hashes(wheel)
        for name in FILES:
            data = wheel.read(MEMBER_DIR + name)
            digest = hashlib.sha256(data).hexdigest()
            if digest != recorded.get(MEMBER_DIR + name) or digest != SHA256[name]:
                sys.exit(f"{name}: SHA-256 {digest} does not match the wheel's RECORD or the expected {SHA256[name]}")
            (out / name).write_bytes(data)
            print(f"wrote {out / name} ({len(data)} bytes, sha256 {digest})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="an already downloaded aeon-1.6.0 wheel")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    if args.wheel is not None:
        extract(args.wheel, args.out)
        return
    with tempfile.TemporaryDirectory() as tmp:
        extract(download_wheel(Path(tmp)), args.out)


if __name__ == "__main__":
    main()
