"""A real 2-budget x 2-seed sweep through the CLI (tiny, on the embedded sensor data): the table and plot its
end writes into the sweep dir, `vmk report` by hand, and each run's TensorBoard events read back.

One test function on purpose: under pytest-xdist a fixture shared by several tests may run once per worker,
and the sweep is the expensive part."""

import csv
import json
import statistics

import pytest
from PIL import Image

from tests.vmk_process import run_vmk

TINY = ["modality=sensor", "model.width=4", "views.width=4", "views.num_res_blocks=1", "data.batch_size=8",
        "trainer.max_steps=2", "probe.epochs=2", "probe.baseline=false", "trainer.log_every_n_steps=1",
        "trainer.image_every_n_steps=1"]
BUDGETS = (0.02, 0.05)


def vmk(*args, cwd=None):
    return run_vmk(*args, cwd=cwd)


def test_sweep_end_writes_table_and_plot_and_every_run_logs_tensorboard(tmp_path):
    sweep = tmp_path / "sweep"
    result = vmk("pretrain", "-m", f"budget={','.join(map(str, BUDGETS))}", "seed=0,1", *TINY, f"hydra.sweep.dir={sweep}")
    assert result.returncode == 0, result.stderr[-3000:]
    runs = sorted(p for p in sweep.iterdir() if p.is_dir())
    records = {run: json.loads((run / "results.json").read_text()) for run in runs}
    assert len(runs) == 4

    check_table(sweep, records)
    check_console(result.stdout)
    check_plot(sweep / "budget_sweep.png")
    check_report_by_hand(sweep, tmp_path / "elsewhere")
    for run, record in records.items():
        check_tensorboard(run, record)
    check_sweep_hparams(sweep)


def check_table(sweep, records):
    rows = list(csv.DictReader((sweep / "results.csv").open()))
    assert [r["config"] for r in rows] == [f"budget={b}" for b in BUDGETS]
    for row, budget in zip(rows, BUDGETS):
        mine = [r for r in records.values() if r["config"]["budget"] == budget]
        assert sorted(r["config"]["seed"] for r in mine) == [0, 1]
        assert (row["status"], row["n"], row["seeds"]) == ("ok", "2", "0,1")
        for metric in ("probe_top1", "probe_train_top1", "train_images_per_s"):
            values = [r["metrics"][metric] for r in mine]
            assert float(row[metric]) == pytest.approx(statistics.mean(values), abs=1e-4), metric
            assert float(row[f"{metric}_std"]) == pytest.approx(statistics.stdev(values), abs=1e-4), metric
        protocol = mine[0]["protocol"]
        assert (row["data"], row["modality"], row["views"], row["objective"], float(row["budget"])) == (
            "basic_motions", "sensor", "learned", "simclr", budget)
        assert (row["probe"], row["probe_epochs"], row["selection"], row["steps"]) == (
            f"{protocol['kind']}/{protocol['layer']}", "2", "final epoch", "2")
        assert len(row["run"].split()) == 2


def check_console(stdout):
    """The sweep's console ends with its compact table (tests/reporting/test_sweep_console.py): what varies,
    the headline numbers; the files hold the rest."""
    table = stdout[stdout.rindex("\nconfig ") + 1:]
    assert "budget=0.02" in table and "budget=0.05" in table and "probe top-1" in table and "kNN top-1" in table
    assert "| run |" not in table and "results.md" in table


def check_plot(path):
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        assert image.format == "PNG" and image.width >= 400 and image.height >= 300
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 16) or range(1 << 16)) > 10  # drawn, not blank


def check_report_by_hand(sweep, cwd):
    cwd.mkdir()
    table = (sweep / "results.md").read_text()
    result = vmk("report", str(sweep), cwd=cwd)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(table) and (sweep / "results.md").read_text() == table
    assert list(cwd.iterdir()) == []


def check_tensorboard(run, record):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import plugin_data_pb2

    events = EventAccumulator(str(run / "tb"), size_guidance={"scalars": 0, "images": 0})
    events.Reload()
    scalars = set(events.Tags()["scalars"])
    for tag in ("train/loss", "train/viewmaker_loss", "lr/encoder", "lr/viewmaker", "distortion/mean_abs",
                "distortion/max_abs", "train/images_per_s", "probe/probe_top1", "hparams/probe_top1"):
        assert tag in scalars, tag
    budget = record["config"]["budget"]
    # Sensor inputs are not clamped: every view lies on the L1 sphere, mean |delta| = budget (up to its epsilon).
    assert all(e.value == pytest.approx(budget, rel=2e-3) for e in events.Scalars("distortion/mean_abs"))
    assert all(e.value > budget for e in events.Scalars("distortion/max_abs"))
    assert [e.value for e in events.Scalars("lr/encoder")][-1] == pytest.approx(record["config"]["optim"]["lr"])
    assert events.Scalars("hparams/probe_top1")[-1].value == pytest.approx(record["metrics"]["probe_top1"], abs=1e-4)

    image = events.Images("views/original_views_delta")[-1]
    assert (image.width, image.height) == (5 * 25 * 4, 6 * 8 * 4)  # 6 inputs; original, 3 views, |delta|; 8x25 enlarged 4x
    import io

    with Image.open(io.BytesIO(image.encoded_image_string)) as png:
        r, g, b = png.convert("RGB").crop((0, 0, 100, 32)).split()  # the first original, in a colormap
        assert r.tobytes() != b.tobytes()

    assert events.Scalars("probe/probe_top1")[-1].step == record["train"]["steps"]  # at the last step, not 0
    content = events.PluginTagToContent("hparams")
    assert "_hparams_/session_start_info" in content
    assert "_hparams_/experiment" not in content  # the sweep's end writes the one record the runs share
    start = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"]).session_start_info
    hparams = start.hparams
    assert hparams["budget"].number_value == pytest.approx(budget) and hparams["seed"].number_value == record["config"]["seed"]
    assert (hparams["views"].string_value, hparams["objective"].string_value, hparams["data"].string_value) == (
        "learned", "simclr", "basic_motions")
    assert hparams["optim.lr"].number_value == pytest.approx(record["config"]["optim"]["lr"])


def check_sweep_hparams(sweep):
    """The sweep's record: every setting, `differs` (what the dashboard ticks first) on exactly what it varied."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import plugin_data_pb2

    events = EventAccumulator(str(sweep))
    events.Reload()
    content = events.PluginTagToContent("hparams")
    experiment = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/experiment"]).experiment
    infos = {info.name: info.differs for info in experiment.hparam_infos}
    assert {"views", "objective", "seed", "budget", "optim.lr", "probe.epochs"} <= set(infos)
    assert {name for name, differs in infos.items() if differs} == {"budget", "seed"}
    assert "hparams/probe_top1" in {m.name.tag for m in experiment.metric_infos}
