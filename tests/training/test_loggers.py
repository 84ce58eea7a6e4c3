"""`logger=csv|wandb|mlflow`: a tiny run's scalars, view grids, hparams and probe metrics reach the chosen logger
(wandb offline and an MLflow file store, where the packages are installed); csv says in one line what it cannot
take; a logger whose package is missing is one line, exit 2, before any data loads. TensorBoard, the default, is
read back in tests/cli/test_cli_end_to_end.py."""

from __future__ import annotations

import csv
import importlib.util

import pytest
import yaml

TINY = ["model.width=4", "views.width=4", "views.num_res_blocks=1", "data.batch_size=8", "trainer.max_steps=2",
        "trainer.log_every_n_steps=1", "probe.epochs=1", "probe.also=[]", "probe.baseline=false", "trainer.image_every_n_steps=1"]


def pretrain(vmk, tmp_path, *args):
    run = tmp_path / "run"
    code, out, err = vmk("pretrain", *TINY, *args, f"hydra.run.dir={run}")
    assert code == 0, err
    return run, out + err


def test_csv_takes_scalars_hparams_and_probe_metrics_and_says_it_takes_no_images(vmk, tmp_path):
    run, output = pretrain(vmk, tmp_path, "logger=csv")
    with open(run / "csv" / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    columns = set(rows[0])
    assert {"train/loss", "distortion/mean_abs", "probe/probe_top1", "hparams/probe_top1"} <= columns
    assert sum(1 for row in rows if row["train/loss"]) == 2  # steps 1 and 2
    assert yaml.safe_load((run / "csv" / "hparams.yaml").read_text())["budget"] == 0.05
    assert "logger=csv keeps scalars, hparams and probe metrics; it cannot take view grids" in output
    assert not (run / "tb").exists()


@pytest.mark.skipif(importlib.util.find_spec("wandb") is None, reason="wandb is not installed (pip install 'vmk[wandb]')")
def test_wandb_offline_run_holds_scalars_images_hparams_and_probe_metrics(vmk, tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_SILENT", "true")
    run, _ = pretrain(vmk, tmp_path, "logger=wandb", "logger.offline=true")
    [local] = (run / "wandb").glob("offline-run-*")
    # The offline run is one record log (run-ID.wandb) that `wandb sync` uploads; wandb 0.2x+ reads it only in its
    # Go core, so the test looks for the keys' bytes: each record holds its keys as plain protobuf strings.
    [records] = local.glob("run-*.wandb")
    data = records.read_bytes()
    for key in ("train/loss", "distortion/mean_abs", "probe/probe_top1", "hparams/probe_top1", "budget", "views.lr"):
        assert key.encode() in data, key
    assert len(list((local / "files" / "media" / "images").rglob("*.png"))) >= 2  # the view grids, steps 1 and 2


@pytest.mark.skipif(importlib.util.find_spec("mlflow") is None, reason="mlflow is not installed (pip install 'vmk[mlflow]')")
def test_mlflow_file_store_holds_scalars_images_hparams_and_probe_metrics(vmk, tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)  # vmk opts in to MLflow 3's file store itself
    run, _ = pretrain(vmk, tmp_path, "logger=mlflow")
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=(run / "mlruns").as_uri())
    [found] = client.search_runs([client.get_experiment_by_name("vmk").experiment_id])
    assert {"train/loss", "distortion/mean_abs", "probe/probe_top1", "hparams/probe_top1"} <= set(found.data.metrics)
    assert len(client.get_metric_history(found.info.run_id, "train/loss")) == 2
    assert found.data.params["budget"] == "0.05"
    grids = [a.path for a in client.list_artifacts(found.info.run_id, "views/original_views_delta")]
    assert grids and all(p.endswith(".png") for p in grids)


def test_a_logger_without_its_package_is_one_line_before_the_data(vmk, tmp_path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "wandb" else real(name, *a))
    code, _, err = vmk("pretrain", "logger=wandb", "data.path=/nonexistent", f"hydra.run.dir={tmp_path / 'run'}")
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "logger=wandb needs the wandb package: pip install 'vmk[wandb]'" in lines[0], err
