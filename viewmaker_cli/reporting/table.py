"""One table over many runs: every results.json under some dirs, one row per configuration (the runs that
differ only in seed), each metric as mean ± std over seeds, with the protocol that produced it."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from pathlib import Path

import yaml

from viewmaker_cli.reporting.aggregate import Group, group_runs
from viewmaker_cli.reporting.results import RESULTS_FILE
from viewmaker_cli.validation import runs_dir

LEAD_METRIC = "probe_top1"


def _natural(path: Path) -> list:
    """Sort key: job 10 after job 9 (sweep dirs start with the job number)."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(path))]


def find_runs(dirs: list[str]) -> list[dict]:
    """Every results.json under `dirs`, in path order, each with `_run` = its folder relative to its dir and
    `_overrides` = the run's command-line overrides (.hydra/overrides.yaml; None when absent)."""
    records = []
    for d in dirs:
        base = runs_dir(d)
        for path in sorted(base.rglob(RESULTS_FILE), key=_natural):
            record = _read_record(path)
            if record is None:
                continue
            record["_run"] = str(path.parent.relative_to(base)) if path.parent != base else base.name
            record["_overrides"] = _overrides(path.parent)
            records.append(record)
    return records


# Parts of a record the table reads as mappings (absent is fine: older or failed runs lack some).
MAPPINGS = ("config", "metrics", "protocol", "train", "data", "git")


def _read_record(path: Path) -> dict | None:
    """The run record at `path`, or None after one warning line naming the file: one damaged or foreign
    results.json (vmk writes them atomically, so it was edited or copied in) must not hide the other runs."""
    try:
        record = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        problem = f"not readable as JSON ({getattr(error, 'strerror', None) or str(error).splitlines()[0][:120]})"
    else:
        wrong = [k for k in MAPPINGS if isinstance(record, dict) and k in record and not isinstance(record[k], dict)]
        problem = (f"holds a JSON {type(record).__name__}, not a run record" if not isinstance(record, dict)
                   else f"its '{wrong[0]}' is not a mapping" if wrong else None)
    if problem is None:
        return record
    print(f"vmk: warning: skipped {path}: {problem}", file=sys.stderr)
    return None


def _overrides(run_dir: Path) -> list[str] | None:
    try:
        overrides = yaml.safe_load((run_dir / ".hydra" / "overrides.yaml").read_text())
    except (OSError, yaml.YAMLError):
        return None
    return [str(o) for o in overrides] if isinstance(overrides, list) else None


def pick(record: dict, *keys, default=None):
    """record[k1][k2]... or `default` when any level is missing."""
    value = record
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return default
        value = value[key]
    return value


def _joined(values) -> str | None:
    """The distinct values of a column over a group's runs ("2" or "2,3")."""
    distinct = list(dict.fromkeys(str(v) for v in values if v not in (None, "")))
    return ",".join(distinct) or None


def _status(group: Group) -> str:
    failures = group.failures
    if not failures:
        return "ok"
    error = failures[0].get("error", "")
    word = str(failures[0].get("status", "failed")).upper()  # FAILED or INTERRUPTED
    head = word if len(failures) == len(group.records) else f"{word} {len(failures)}/{len(group.records)}"
    return f"{head}: {error}"[:120]


def _commit(record: dict) -> str:
    git = record.get("git") or {}
    return (git.get("commit") or "")[:8] + ("+dirty" if git.get("dirty") else "")


# Protocol columns: (name, value for a group). Every number carries the protocol that produced it.
PROTOCOL = [
    ("data", lambda g: pick(g.first, "data", "name") or pick(g.first, "config", "data", "name")),
    ("modality", lambda g: pick(g.first, "config", "modality", "name")),
    ("views", lambda g: pick(g.first, "config", "views", "name")),
    ("objective", lambda g: pick(g.first, "config", "objective", "name")),
    ("budget", lambda g: pick(g.first, "config", "budget")),
    ("steps", lambda g: _joined(pick(r, "train", "steps") for r in g.ok)),
    ("probe", lambda g: "/".join(str(pick(g.first, "protocol", k)) for k in ("kind", "layer")) if g.first.get("protocol") else None),
    ("probe_epochs", lambda g: pick(g.first, "protocol", "epochs")),
    ("selection", lambda g: pick(g.first, "protocol", "selection")),
]


def metric_names(groups: list[Group]) -> list[str]:
    names: dict[str, None] = {LEAD_METRIC: None} if any(LEAD_METRIC in g.metric_names() for g in groups) else {}
    for group in groups:
        names.update(dict.fromkeys(group.metric_names()))
    return list(names)


def table(records: list[dict]) -> tuple[list[str], list[list], list[Group]]:
    """Header and rows with raw values; metric `m` has the columns `m` (mean) and `m_std`."""
    groups = group_runs(records)
    metrics = metric_names(groups)
    header = ["config", "status", "n", "seeds"]
    for name in metrics:
        header += [name, f"{name}_std"]
    header += [name for name, _ in PROTOCOL] + ["wall_s", "commit", "run"]
    rows = []
    for group in groups:
        row = [group.label or "-", _status(group), len(group.ok), _joined(group.seeds())]
        for name in metrics:
            mean, std, _ = group.stats(name)
            row += [mean, std]
        row += [get(group) for _, get in PROTOCOL]
        walls = [r["wall_s"] for r in group.ok if isinstance(r.get("wall_s"), (int, float))]
        row += [sum(walls) / len(walls) if walls else None, _joined(map(_commit, group.records)), " ".join(r["_run"] for r in group.records)]
        rows.append(row)
    return header, rows, groups


def _cell(value, digits: int | None) -> str:
    """Numbers of metric columns rounded to `digits`; settings (budget, lr) exactly as configured."""
    if value is None:
        return ""
    return f"{value:.{digits}f}" if digits is not None and isinstance(value, float) else str(value)


def _numeric(header: list[str]) -> set[str]:
    """The columns that hold measured numbers: metric means, their stds, wall_s."""
    return {h for h in header if f"{h}_std" in header} | {h for h in header if h.endswith("_std")} | {"wall_s"}


def _short_run(run: str) -> str:
    """A sweep job's folder by its number (0_budget-0.02_... -> 0); other folders as they are."""
    head = run.split("_", 1)[0]
    return head if head.isdigit() and "/" not in run else run


def markdown(records: list[dict]) -> str:
    header, rows, groups = table(records)
    metrics, numeric = {h for h in header if f"{h}_std" in header}, _numeric(header)
    shown = [h for h in header if not (h.endswith("_std") and h[:-4] in metrics)]
    lines = ["| " + " | ".join(shown) + " |", "|" + "---|" * len(shown)]
    for row, group in zip(rows, groups):
        values = dict(zip(header, row), run=" ".join(_short_run(r["_run"]) for r in group.records))
        cells = []
        for name in shown:
            cell = _cell(values[name], 2 if name in numeric else None)
            if name in metrics and values[f"{name}_std"] is not None:
                cell += f" ± {values[f'{name}_std']:.2f}"
            cells.append(cell.replace("|", "/"))
        lines.append("| " + " | ".join(cells) + " |")
    runs = sum(len(g.records) for g in groups)
    notes = [f"\n{runs} runs, {len(groups)} configurations. Metrics: mean ± sample std (n − 1) over the n successful "
             "seeds of each configuration; probe accuracies in percent on the held-out split."]
    failures = [r for g in groups for r in g.failures]
    if failures:
        interrupted = any(r.get("status") == "interrupted" for r in failures)
        notes.append("\nFailed or interrupted runs:" if interrupted else "\nFailed runs:")
        notes += [f"- {r['_run']}: {r.get('error', 'no error recorded')}" for r in failures]
    return "\n".join(lines + notes) + "\n"


def csv_text(records: list[dict]) -> str:
    header, rows, _ = table(records)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    numeric = _numeric(header)
    writer.writerows([[_cell(v, 4 if h in numeric else None) for h, v in zip(header, row)] for row in rows])
    return buffer.getvalue()
