"""The table a sweep prints when it ends: one row per configuration with only what sets the rows apart
and the headline numbers, readable at 100 columns. results.md / results.csv keep every column."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from viewmaker_cli.reporting.table import PROTOCOL, table

# (column of the full table, heading here): the numbers a sweep is read for.
HEADLINE = [("probe_top1", "probe top-1"), ("knn_top1", "kNN top-1"), ("untrained_probe_top1", "baseline")]
WIDTH = 100


def _override_keys(groups) -> set[str]:
    return {o.split("=", 1)[0].lstrip("+~") for g in groups for o in g.overrides}


def compact_table(records: list[dict]) -> Table:
    header, rows, groups = table(records)
    values = [dict(zip(header, row)) for row in rows]
    in_label = _override_keys(groups)  # a setting already named in the config column is not repeated
    # Failed configurations have no steps or probe: a column varies when its known values differ.
    varying = [name for name, _ in PROTOCOL
               if name not in in_label and len({str(v[name]) for v in values if v[name] not in (None, "")}) > 1]
    shown = ["config"]
    shown += ["status"] * any(v["status"] != "ok" for v in values)
    shown += ["n"] * any(v["n"] != 1 for v in values)
    shown += varying
    out = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    label_width = max(len(str(v["config"])) for v in values)
    for name in shown:
        if name == "config":  # the row's name: whole when it fits beside the numbers
            out.add_column(name, overflow="fold", min_width=min(label_width, 32))
        elif name == "status":  # the whole error is in results.md and in the sweep's last lines
            out.add_column(name, overflow="ellipsis", no_wrap=True, max_width=24)
        else:
            out.add_column(name, overflow="fold", justify="right" if name == "n" else "left")
    headline = [(name, title) for name, title in HEADLINE if name in header]
    for _, title in headline:
        out.add_column(title, justify="right", no_wrap=True)
    for v in values:
        cells = ["" if v[name] is None else escape(str(v[name])) for name in shown]  # "probe.also=[knn]" is text
        for name, _ in headline:
            mean, std = v[name], v[f"{name}_std"]
            cells.append("" if mean is None else f"{mean:.2f}" + ("" if std is None else f" ± {std:.2f}"))
        out.add_row(*cells)
    return out


def print_compact_table(records: list[dict], console: Console | None = None) -> None:
    if console is None:  # a terminal narrower than WIDTH folds the table; a log file gets WIDTH
        terminal = Console()
        console = Console(width=min(WIDTH, terminal.width) if terminal.is_terminal else WIDTH)
    console.print(compact_table(records))
    console.print(f"{len(records)} runs, {len(table(records)[2])} configurations; probe accuracies in percent on the held-out split, "
                  "mean ± sample std over seeds; every column in results.md / results.csv")
