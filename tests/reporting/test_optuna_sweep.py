"""`vmk pretrain -m hydra/sweeper=optuna`: three tiny trials of a budget search; vmk returns its sweep_metric, the
sweeper maximises it (conf/hydra/sweeper/optuna.yaml), the sweep's table is written as for grids and the best trial
is named."""

from __future__ import annotations

import json
import math

import pytest
import yaml

from viewmaker_cli.reporting.sweep_metric import headline

pytest.importorskip("hydra_plugins.hydra_optuna_sweeper", reason="the optuna extra is not installed (pip install 'vmk[optuna]')")

TINY = ["modality=sensor", "model.width=4", "views.width=4", "views.num_res_blocks=1", "data.batch_size=8", "trainer.max_steps=1",
        "probe.epochs=1", "probe.also=[]", "probe.baseline=false", "trainer.image_every_n_steps=0"]


def test_three_trials_maximise_the_sweep_metric_and_name_the_best(vmk, tmp_path):
    sweep = tmp_path / "sweep"
    # train_images_per_s differs from trial to trial (probe_top1 of 1-step runs may tie): maximise vs minimise shows.
    code, out, err = vmk("pretrain", "-m", "hydra/sweeper=optuna", "hydra.sweeper.n_trials=3", "hydra.sweeper.sampler.seed=0",
                         "budget=tag(log, interval(0.005, 0.5))", "sweep_metric=train_images_per_s", *TINY, f"hydra.sweep.dir={sweep}")
    assert code == 0, err[-3000:]
    runs = sorted(p for p in sweep.iterdir() if (p / "results.json").is_file())
    values = {run.name: json.loads((run / "results.json").read_text())["metrics"]["train_images_per_s"] for run in runs}
    budgets = {json.loads((run / "results.json").read_text())["config"]["budget"] for run in runs}
    assert len(runs) == 3 and len(budgets) == 3 and all(0.005 <= b <= 0.5 for b in budgets)
    study = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    assert study["best_value"] == pytest.approx(max(values.values()))  # maximised, not minimised
    best = json.loads((sweep / "best_trial.json").read_text())
    assert best["run"] == max(values, key=values.get) and best["metric"] == "train_images_per_s"
    assert f"best trial: {best['run']}" in out
    assert (sweep / "results.md").is_file() and (sweep / "results.csv").is_file()


def test_headline_is_the_chosen_metric_or_nan():
    metrics = {"probe_top1": 41.5, "knn_top1": 38.0, "transfer": {"svhn": {"probe_top1": 20.0}}}
    assert headline(metrics, "probe_top1") == 41.5 and headline(metrics, "knn_top1") == 38.0
    assert headline(metrics, "transfer/svhn/probe_top1") == 20.0
    assert math.isnan(headline(metrics, "nope"))
