"""Writers of fake PAMAP2 Protocol files in the real text format, shared by the sensor tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

# One fake recording: (activity id, rows) runs at 100 Hz. 0 (transient) and 17 (ironing) must be dropped.
FAKE_RUNS = [(0, 20), (1, 120), (0, 15), (4, 100), (17, 40), (24, 80), (0, 10), (4, 90), (12, 30)]
RAMP_COLUMN = 5  # file column of hand_acc16_y (channel 3): a linear ramp with NaN holes, to test interpolation


def fake_table(subject: int, runs: list[tuple[int, int]] = FAKE_RUNS) -> np.ndarray:
    """A Protocol table [rows, 54] like PAMAP2's: timestamps, activity ids, sparse heart rate, IMUs with NaN holes."""
    rng = np.random.default_rng(subject)
    activity = np.concatenate([np.full(rows, a) for a, rows in runs]).astype(float)
    rows = len(activity)
    table = np.empty((rows, 54))
    table[:, 0] = 5.0 + 0.01 * np.arange(rows)
    table[:, 1] = activity
    table[:, 2:] = rng.normal(subject, 1.0 + 0.1 * np.arange(52), size=(rows, 52))
    table[:, 2][np.arange(rows) % 11 != 0] = np.nan  # heart rate is sampled at ~9 Hz in the real data
    table[:, 2][0] = 100.0
    table[:, RAMP_COLUMN] = np.arange(rows) * 0.5
    holes = rng.random((rows, 52)) < 0.05
    holes[0] = False  # leading NaNs are tested on their own
    table[:, 2:][holes] = np.nan
    return table


def write_table(path: Path, table: np.ndarray) -> Path:
    """Write `table` in PAMAP2's text format: space-separated, `NaN` for missing values."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as out:
        for row in table:
            out.write(" ".join("NaN" if np.isnan(v) else f"{v:.6g}" for v in row) + "\n")
    return path
