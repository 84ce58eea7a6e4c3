"""One Markdown table of all runs under some dirs (one row per configuration, mean ± std over seeds), and
results.md / results.csv / budget_sweep.png: what `vmk report` and the end of every sweep write."""

from __future__ import annotations

from pathlib import Path

from viewmaker_cli.core.atomic import atomic_write_text
from viewmaker_cli.errors import UserError
from viewmaker_cli.reporting.table import csv_text, find_runs, markdown

PLOT_FILE = "budget_sweep.png"


def write_report(dirs: list[str], write: bool = True, plot: bool = True, compact: bool = False,
                 records: list[dict] | None = None) -> list[Path]:
    """Print the table of every run under `dirs` (with `compact`, only the columns that set configurations
    apart and the headline metrics); with `write`, put the files, with every column, into the first dir.
    `records`: the runs already read from `dirs` (table.find_runs). Returns the files written."""
    if not dirs:
        raise UserError("no directory given: vmk report DIR [DIR...] (e.g. vmk report outputs/multirun)")
    records = find_runs(dirs) if records is None else records
    if not records:
        raise UserError(f"no readable results.json found under {', '.join(map(str, dirs))}")
    table = markdown(records)
    if compact:
        from viewmaker_cli.reporting.sweep_console import print_compact_table

        print_compact_table(records)
    else:
        print(table, end="")
    if not write:
        return []
    out = Path(dirs[0]).expanduser()
    atomic_write_text(out / "results.md", table)
    atomic_write_text(out / "results.csv", csv_text(records))
    written = [out / "results.md", out / "results.csv"]
    if plot:
        from viewmaker_cli.reporting.budget_plot import plot_budget_sweep

        png = plot_budget_sweep(records, out / PLOT_FILE)
        written += [png] if png else []
    print(f"\nwrote {', '.join(map(str, written))} ({len(records)} runs)")
    return written
