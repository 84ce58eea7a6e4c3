"""The table a sweep prints: the columns that set its configurations apart and the headline metrics, at most
100 columns wide; the files it writes keep every column."""

import csv

from rich.console import Console

from tests.reporting.test_report_aggregate import run
from viewmaker_cli.reporting.report import write_report
from viewmaker_cli.reporting.sweep_console import print_compact_table
from viewmaker_cli.reporting.table import find_runs


def lines_of(records, width=100) -> list[str]:
    console = Console(width=width, record=True, file=open("/dev/null", "w"))
    print_compact_table(records, console)
    return console.export_text().splitlines()


def test_only_what_varies_and_the_headline_metrics_fit_100_columns(tmp_path):
    job = 0
    for budget in (0.02, 0.1):
        for views in ("learned", "expert"):
            for seed in (0, 1):
                run(tmp_path, job, budget, seed, 80.0 + budget * 10 + seed, views=views)
                job += 1
    records = find_runs([str(tmp_path)])
    lines = lines_of(records)
    assert all(len(line) <= 100 for line in lines)
    head = lines[0].split()
    assert head[:2] == ["config", "n"] and "probe" in head and "baseline" in head
    for absent in ("run", "commit", "wall_s", "data", "objective", "seeds", "status", "budget", "views"):
        assert absent not in head, absent  # the same in every row, or already in the config column
    rows = [line for line in lines if "budget=" in line]
    assert len(rows) == 4 and rows[0].split()[:3] == ["budget=0.02", "views=learned", "2"]
    assert "80.70 ± 0.71" in rows[0] and "40.35 ± 0.35" in rows[0]  # probe top-1, baseline: mean ± std
    assert "8 runs, 4 configurations" in " ".join(lines)


def test_a_sweep_prints_the_compact_table_and_writes_every_column(tmp_path, capsys):
    run(tmp_path, 0, 0.02, 0, 81.0)
    run(tmp_path, 1, 0.1, 0, None)  # failed: its status is shown
    (tmp_path / "0_budget-0.02_seed-0" / ".hydra" / "overrides.yaml").write_text("- probe.also=[knn]\n- seed=0\n")
    write_report([str(tmp_path)], plot=False, compact=True)
    out = capsys.readouterr().out
    assert "| config |" not in out and "status" in out and "FAILED" in out and "81.00" in out
    assert "probe.also=[knn]" in out  # brackets are text, not rich markup
    with (tmp_path / "results.csv").open() as handle:
        header = next(csv.reader(handle))
    assert {"run", "commit", "wall_s", "data", "objective", "probe_top1_std", "transfer/mnist/probe_top1"} <= set(header)
    assert "| run |" in (tmp_path / "results.md").read_text()
