"""The results table over runs written in the real results.json format: one row per configuration, mean ±
sample std over seeds (recomputed here with `statistics`), failed runs marked, and the budget plot's lines."""

import csv
import statistics

import pytest
from PIL import Image

from viewmaker_cli.reporting.aggregate import group_runs
from viewmaker_cli.reporting.budget_plot import lines, plot_budget_sweep, untrained_baseline
from viewmaker_cli.reporting.report import write_report
from viewmaker_cli.reporting.results import write_failure, write_results
from viewmaker_cli.reporting.table import find_runs

PROTOCOL = {"kind": "linear", "layer": "pooled", "epochs": 100, "selection": "final epoch"}


def config(budget: float, seed: int, views: str = "learned", lr: float = 0.03) -> dict:
    return {"budget": budget, "seed": seed, "data": {"name": "fashion_mnist_subset"}, "modality": {"name": "image"},
            "views": {"name": views}, "objective": {"name": "simclr"}, "optim": {"lr": lr}}


def run(sweep, job: int, budget: float, seed: int, top1: float | None, views: str = "learned", overrides: bool = True):
    """One job's dir as a sweep writes it: results.json (ok or failed) and .hydra/overrides.yaml."""
    run_dir = sweep / f"{job}_budget-{budget}_seed-{seed}"
    if top1 is None:
        write_failure(run_dir, "user error: out of memory", config(budget, seed, views), "Traceback ...")
    else:
        metrics = {"probe_top1": top1, "untrained_probe_top1": top1 / 2, "transfer": {"mnist": {"probe_top1": top1 - 1}}}
        write_results(run_dir, metrics, PROTOCOL, config(budget, seed, views), 1.0, train={"steps": 10})
    if overrides:
        (run_dir / ".hydra").mkdir()
        (run_dir / ".hydra" / "overrides.yaml").write_text(f"- budget={budget}\n- seed={seed}\n- views={views}\n- model.width=4\n")
    return run_dir


def test_one_row_per_configuration_with_mean_std_over_seeds_and_failures_marked(tmp_path, capsys):
    scores = {0.02: [81.0, 83.5, 80.25], 0.1: [85.0]}
    job = 0
    for budget, values in scores.items():
        for seed, top1 in enumerate(values):
            run(tmp_path, job, budget, seed, top1)
            job += 1
    run(tmp_path, job, 0.1, 1, None)  # one of two seeds failed
    run(tmp_path, job + 1, 0.5, 0, None)  # every seed failed
    run(tmp_path, job + 2, 0.5, 1, None)

    written = write_report([str(tmp_path)])
    assert [p.name for p in written] == ["results.md", "results.csv", "budget_sweep.png"]
    rows = list(csv.DictReader((tmp_path / "results.csv").open()))
    assert [r["config"] for r in rows] == ["budget=0.02", "budget=0.1", "budget=0.5"]  # common overrides left out

    low = rows[0]
    assert low["status"] == "ok" and low["n"] == "3" and low["seeds"] == "0,1,2"
    assert float(low["probe_top1"]) == pytest.approx(statistics.mean(scores[0.02]), abs=1e-4)
    assert float(low["probe_top1_std"]) == pytest.approx(statistics.stdev(scores[0.02]), abs=1e-4)
    assert float(low["untrained_probe_top1"]) == pytest.approx(statistics.mean(scores[0.02]) / 2, abs=1e-4)
    assert float(low["transfer/mnist/probe_top1"]) == pytest.approx(statistics.mean(scores[0.02]) - 1, abs=1e-4)
    assert (low["data"], low["views"], low["objective"], low["probe"], low["probe_epochs"], low["selection"], low["steps"]) == (
        "fashion_mnist_subset", "learned", "simclr", "linear/pooled", "100", "final epoch", "10")

    partial = rows[1]
    assert partial["status"].startswith("FAILED 1/2: user error: out of memory")
    assert partial["n"] == "1" and float(partial["probe_top1"]) == 85.0 and partial["probe_top1_std"] == ""
    dead = rows[2]
    assert dead["status"].startswith("FAILED: ") and dead["n"] == "0" and dead["probe_top1"] == ""

    md = (tmp_path / "results.md").read_text()
    mean, std = statistics.mean(scores[0.02]), statistics.stdev(scores[0.02])
    assert f"| budget=0.02 | ok | 3 | 0,1,2 | {mean:.2f} ± {std:.2f} |" in md
    assert md.count("\n- ") == 3 and "Failed runs:" in md  # each failed run named below the table
    assert capsys.readouterr().out.startswith(md)  # what vmk report prints is what it writes

    with Image.open(tmp_path / "budget_sweep.png") as image:
        image.verify()
        assert image.format == "PNG" and image.size[0] > 300


def test_plot_has_one_line_per_views_objective_with_std_error_bars(tmp_path):
    values = {("learned", 0.02): [70.0, 74.0], ("learned", 0.1): [72.0, 73.0], ("noise", 0.02): [60.0, 61.0], ("noise", 0.1): [65.0, 69.0]}
    job = 0
    for (views, budget), tops in values.items():
        for seed, top1 in enumerate(tops):
            run(tmp_path, job, budget, seed, top1, views)
            job += 1
    found = lines(group_runs(find_runs([str(tmp_path)])))
    assert set(found) == {"learned views, simclr", "noise views, simclr"}
    for views in ("learned", "noise"):
        points = found[f"{views} views, simclr"]
        assert [p[0] for p in points] == [0.02, 0.1]  # sorted by budget
        for budget, mean, std, n in points:
            tops = values[(views, budget)]
            assert (mean, n) == (pytest.approx(statistics.mean(tops)), 2) and std == pytest.approx(statistics.stdev(tops))
    # The dashed line to beat: the untrained encoder's accuracy (each run's untrained_probe_top1 is top1 / 2 here).
    everything = [top1 / 2 for tops in values.values() for top1 in tops]
    assert untrained_baseline(group_runs(find_runs([str(tmp_path)]))) == (pytest.approx(statistics.mean(everything)), 8)
    assert plot_budget_sweep(find_runs([str(tmp_path)]), tmp_path / "p.png") == tmp_path / "p.png"


def test_without_overrides_files_labels_name_the_settings_that_differ(tmp_path):
    run(tmp_path, 0, 0.05, 0, 80.0, "learned", overrides=False)
    run(tmp_path, 1, 0.05, 1, 82.0, "learned", overrides=False)
    run(tmp_path, 2, 0.05, 0, 70.0, "noise", overrides=False)
    groups = group_runs(find_runs([str(tmp_path)]))
    assert [g.label for g in groups] == ["views.name=learned", "views.name=noise"]
    assert [len(g.ok) for g in groups] == [2, 1]


def test_a_single_budget_writes_no_plot(tmp_path):
    run(tmp_path, 0, 0.05, 0, 80.0)
    run(tmp_path, 1, 0.05, 1, 81.0)
    assert plot_budget_sweep(find_runs([str(tmp_path)]), tmp_path / "p.png") is None
    assert not (tmp_path / "p.png").exists()
