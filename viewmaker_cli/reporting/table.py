"""One table over many runs: every results.json under some dirs, as Markdown and CSV."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from viewmaker_cli.errors import UserError
from viewmaker_cli.reporting.results import RESULTS_FILE

# (column, how to read it from a results.json record)
COLUMNS = [
    ("run", lambda r: r["_run"]),
    ("status", lambda r: r.get("status", "ok") if r.get("status") != "failed" else f"FAILED: {r.get('error', '')}"[:120]),
    ("data", lambda r: r["config"].get("data", {}).get("name")),
    ("modality", lambda r: r["config"].get("modality", {}).get("name")),
    ("views", lambda r: r["config"].get("views", {}).get("name")),
    ("objective", lambda r: r["config"].get("objective", {}).get("name")),
    ("budget", lambda r: r["config"].get("budget")),
    ("seed", lambda r: r["config"].get("seed")),
    ("steps", lambda r: r.get("train", {}).get("steps")),
    ("probe", lambda r: f'{r["protocol"]["kind"]}/{r["protocol"]["layer"]}/{r["protocol"]["epochs"]}ep'),
    ("probe_top1", lambda r: r["metrics"].get("probe_top1")),
    ("untrained_top1", lambda r: r["metrics"].get("untrained_probe_top1")),
    ("wall_s", lambda r: r.get("wall_s")),
    ("commit", lambda r: (r.get("git", {}).get("commit") or "")[:8] + ("+dirty" if r.get("git", {}).get("dirty") else "")),
]


def find_runs(dirs: list[str]) -> list[dict]:
    """Every results.json under `dirs`, in path order, each with `_run` = its folder relative to its dir."""
    records = []
    for d in dirs:
        base = Path(d).expanduser()
        if not base.is_dir():
            raise UserError(f"{d}: no such directory")
        for path in sorted(base.rglob(RESULTS_FILE)):
            try:
                record = json.loads(path.read_text())
            except (OSError, json.JSONDecodeError) as error:
                raise UserError(f"{path}: not a readable results file ({error})") from None
            record["_run"] = str(path.parent.relative_to(base)) if path.parent != base else base.name
            records.append(record)
    return records


def rows(records: list[dict]) -> list[list]:
    out = []
    for r in records:
        row = []
        for _, get in COLUMNS:
            try:
                value = get(r)
            except (KeyError, TypeError, AttributeError):
                value = None
            row.append(round(value, 2) if isinstance(value, float) else value)
        out.append(row)
    return out


def markdown(records: list[dict]) -> str:
    header = [name for name, _ in COLUMNS]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows(records):
        lines.append("| " + " | ".join("" if v is None else str(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def csv_text(records: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([name for name, _ in COLUMNS])
    writer.writerows(rows(records))
    return buffer.getvalue()
