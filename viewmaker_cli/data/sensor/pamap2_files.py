"""PAMAP2's Protocol files (`subject101.dat` … `subject109.dat`) → interpolated single-activity segments.

Follows the authors' reading (reference §3.3): 54 space-separated columns (timestamp, activity id, heart
rate, then hand/chest/ankle IMUs × 17), all 52 non-time, non-label columns kept (the orientation columns
too, though the dataset documents them as invalid), NaNs filled per file by linear interpolation over the
row index (pandas' `interpolate()`, done here in NumPy) before any row is dropped, 11 activities.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from viewmaker_cli.core.progress import track
from viewmaker_cli.data.cache import cache_home
from viewmaker_cli.data.fashion_mnist import data_home
from viewmaker_cli.data.sensor.segments import Segments
from viewmaker_cli.errors import UserError

UCI_URL = "https://archive.ics.uci.edu/dataset/231/pamap2+physical+activity+monitoring"
HOW_TO_GET = (
    f"download PAMAP2 from the UCI repository ({UCI_URL}), unzip PAMAP2_Dataset.zip and set "
    "data.root=DIR to the folder holding PAMAP2_Dataset/ (or to its Protocol/ folder), or unzip it into $VMK_DATA/pamap2"
)
NUM_COLUMNS = 54
SAMPLE_RATE_HZ = 100
_IMU_FIELDS = (
    ["temperature"]
    + [f"acc16_{axis}" for axis in "xyz"]
    + [f"acc6_{axis}" for axis in "xyz"]
    + [f"gyro_{axis}" for axis in "xyz"]
    + [f"mag_{axis}" for axis in "xyz"]
    + [f"orientation_{i}" for i in range(1, 5)]
)
# The 52 channels, in file order (columns 2..53).
CHANNELS = ["heart_rate"] + [f"{part}_{field}" for part in ("hand", "chest", "ankle") for field in _IMU_FIELDS]
# The authors' 11 activities; a class label is the position in this list. Ironing (17) and the optional
# activities are left out, as in their code; the paper's "12 activities" and 12-way head have one unused class.
ACTIVITIES = {
    1: "lying", 2: "sitting", 3: "standing", 4: "walking", 5: "running", 6: "cycling", 7: "Nordic walking",
    12: "ascending stairs", 13: "descending stairs", 16: "vacuum cleaning", 24: "rope jumping",
}  # fmt: skip
# A timestamp jump longer than this (10 missing samples) starts a new segment, so no window spans a gap.
MAX_GAP_S = 0.1
# Bump when the prepared form changes, so cached segments are prepared again.
PREPARE_VERSION = 1


def subject_file(subject: int) -> str:
    """The Protocol file of participant `subject` (1..9): subject101.dat … subject109.dat."""
    return f"subject{100 + subject}.dat"


def search_dirs(root: str | Path | None = None) -> list[Path]:
    """Folders that may hold the Protocol files: `root` (or $VMK_DATA/pamap2) and the archive's layouts below it."""
    base = Path(root).expanduser() if root is not None else data_home() / "pamap2"
    return [base, base / "Protocol", base / "PAMAP2_Dataset" / "Protocol", base / "pamap2" / "PAMAP2_Dataset" / "Protocol"]


def find_protocol_dir(root: str | Path | None, subjects: list[int]) -> Path | None:
    """The first search folder holding the files of all `subjects`."""
    for directory in search_dirs(root):
        if all((directory / subject_file(s)).is_file() for s in subjects):
            return directory
    return None


def not_found(root: str | Path | None, subjects: list[int]) -> UserError:
    files = ", ".join(subject_file(s) for s in subjects)
    looked = ", ".join(str(d) for d in search_dirs(root))
    return UserError(f"PAMAP2 not found: looked for {files} in {looked}; fix: {HOW_TO_GET}")


def read_protocol_file(path: Path) -> np.ndarray:
    """The table of one Protocol file, float64 [rows, 54] with NaN where a value is missing."""
    try:
        table = np.loadtxt(path, dtype=np.float64, ndmin=2)
    except ValueError as error:  # numpy names the row and column it could not read
        raise UserError(
            f"{path}: {error}; expected rows of {NUM_COLUMNS} space-separated numbers (PAMAP2 Protocol format); "
            "re-extract the file from the PAMAP2 archive"
        ) from None
    except OSError as error:
        raise UserError(f"cannot read {path} ({error.strerror or error}); check its permissions") from error
    if table.shape[1] != NUM_COLUMNS or len(table) == 0:
        raise UserError(
            f"{path}: {table.shape[1]} columns in {len(table)} rows, expected {NUM_COLUMNS} columns; "
            "is it a PAMAP2 Protocol file? Re-extract it from the PAMAP2 archive"
        )
    if not np.isfinite(table[:, :2]).all():
        raise UserError(f"{path}: missing timestamps or activity ids; re-extract the file from the PAMAP2 archive")
    return table


def interpolate_nans(values: np.ndarray) -> np.ndarray:
    """Fill the NaNs of each column of `values` [rows, C] linearly over the row index.

    Between known values this is pandas' `interpolate()` (the authors' call), and trailing NaNs take the last
    known value as pandas does. Pandas leaves leading NaNs as NaN, which would make NaN spectrograms; they take
    the first known value instead. A column with no value at all becomes 0.
    """
    filled = values.copy()
    rows = np.arange(len(values))
    for column in range(values.shape[1]):
        missing = np.isnan(values[:, column])
        if not missing.any():
            continue
        known = ~missing
        if not known.any():
            filled[:, column] = 0.0
            continue
        filled[missing, column] = np.interp(rows[missing], rows[known], values[known, column])
    return filled


def subject_segments(table: np.ndarray, subject: int) -> Segments:
    """The runs of one kept activity in a subject's (interpolated) table, as Segments labelled 0..10."""
    activity = table[:, 1].astype(np.int64)
    steps = np.diff(table[:, 0])
    starts_run = np.ones(len(table), dtype=bool)
    starts_run[1:] = (activity[1:] != activity[:-1]) | (steps > MAX_GAP_S) | (steps <= 0)
    run_id = np.cumsum(starts_run) - 1
    kept = np.flatnonzero(np.isin(activity, list(ACTIVITIES)))
    runs, first, length = np.unique(run_id[kept], return_index=True, return_counts=True)
    label_of = {activity_id: index for index, activity_id in enumerate(ACTIVITIES)}
    labels = np.array([label_of[a] for a in activity[kept[first]]], dtype=np.int64)
    return Segments(
        series=np.ascontiguousarray(table[kept, 2:].T, dtype=np.float32),
        start=first.astype(np.int64),  # kept rows are stored back to back, so a run starts at its first kept row
        length=length.astype(np.int64),
        label=labels,
        group=np.full(len(runs), subject, dtype=np.int64),
    )


def _cache_path(path: Path) -> Path:
    """Where the prepared segments of Protocol file `path` are cached, keyed by its identity and this code."""
    stat = path.stat()
    key = f"{path.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\0{PREPARE_VERSION}\0{sorted(ACTIVITIES)}\0{MAX_GAP_S}"
    return cache_home() / "pamap2-segments" / f"{path.stem}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.npz"


def prepare_subject(path: Path, subject: int, use_cache: bool = True) -> Segments:
    """Read, interpolate and segment one Protocol file (from the cache when it is unchanged)."""
    cached = _cache_path(path) if use_cache else None
    if cached is not None and (segments := Segments.load(cached)) is not None:
        return segments
    table = read_protocol_file(path)
    table[:, 2:] = interpolate_nans(table[:, 2:])  # per file, before any row is dropped, as the authors did
    segments = subject_segments(table, subject)
    if cached is not None:
        try:
            segments.save(cached)
        except OSError:
            pass  # a read-only cache only costs the next run a re-read
    return segments


def load_segments(directory: Path, subjects: list[int], use_cache: bool = True) -> Segments:
    """The segments of `subjects` (1..9) from the Protocol folder `directory`, one block."""
    paths = [(directory / subject_file(s), s) for s in subjects]
    if len(paths) == 1:
        return prepare_subject(*paths[0], use_cache=use_cache)
    parts = [prepare_subject(path, s, use_cache) for path, s in track(paths, "PAMAP2: reading Protocol files", unit="file")]
    return Segments.concat(parts)
