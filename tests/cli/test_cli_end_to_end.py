"""The real CLI in subprocesses, on tiny settings: sweep → report → probe, TensorBoard, bad input."""

import csv
import json
import os

import pytest
import torch

from tests.vmk_process import run_vmk

TINY = [
    "model.width=4", "views.width=4", "views.num_res_blocks=1", "data.batch_size=32",
    "trainer.max_steps=2", "trainer.log_every_n_steps=1", "trainer.image_every_n_steps=1", "probe.epochs=2",
]


def vmk(*args, cwd=None):
    return run_vmk(*args, cwd=cwd)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep")
    result = vmk("pretrain", "-m", "budget=0.02,0.1", *TINY, f"hydra.sweep.dir={out}")
    assert result.returncode == 0, result.stderr[-3000:]
    runs = sorted(p for p in out.iterdir() if p.is_dir())
    return out, runs


def test_help_lists_subcommands_and_groups():
    top = vmk("--help")
    assert top.returncode == 0 and all(c in top.stdout for c in ("pretrain", "probe", "report"))
    groups = vmk("pretrain", "--help")
    assert groups.returncode == 0
    for line in ("modality: audio, image, sensor", "objective: byol, instdisc, moco, simclr, simsiam, supervised, wmse",
                 "preset: paper, quickstart", "views: combined, expert, learned, noise"):
        assert line in groups.stdout


def test_cfg_job_shows_the_composed_config_with_overrides():
    result = vmk("pretrain", "--cfg", "job", "budget=0.2", "preset=paper")
    assert result.returncode == 0
    assert "budget: 0.2" in result.stdout and "width: 64" in result.stdout and "max_epochs: 200" in result.stdout


def test_sweep_makes_one_complete_run_dir_per_budget(sweep):
    _, runs = sweep
    assert len(runs) == 2
    for run in runs:
        for name in (".hydra/config.yaml", "checkpoints/last.ckpt", "results.json"):
            assert (run / name).is_file(), name
        record = json.loads((run / "results.json").read_text())
        assert 0 <= record["metrics"]["probe_top1"] <= 100
        assert 0 <= record["metrics"]["untrained_probe_top1"] <= 100
        assert record["protocol"]["layer"] == "pooled" and record["protocol"]["eval_split"] == "test"
        assert record["config"]["trainer"]["max_steps"] == 2 and record["train"]["steps"] == 2
        assert {"vmk", "torch", "lightning", "hydra-core"} <= set(record["versions"])
        assert set(record["git"]) == {"commit", "dirty"} and record["device"]["type"] in ("cpu", "cuda")
        assert record["wall_s"] > 0
    assert sorted(json.loads((r / "results.json").read_text())["config"]["budget"] for r in runs) == [0.02, 0.1]


def test_checkpoint_holds_both_networks_both_optimisers_step_and_config(sweep):
    _, runs = sweep
    checkpoint = torch.load(runs[0] / "checkpoints/last.ckpt", map_location="cpu", weights_only=True)
    keys = checkpoint["state_dict"].keys()
    assert any(k.startswith("encoder.") for k in keys) and any(k.startswith("viewmaker.") for k in keys)
    assert not any(k.startswith("train_x") for k in keys)
    assert len(checkpoint["optimizer_states"]) == 2 and checkpoint["global_step"] == 2
    assert checkpoint["vmk"]["config"]["budget"] == 0.02


def test_tensorboard_events_hold_losses_lrs_distortion_probe_and_view_images(sweep):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    _, runs = sweep
    events = EventAccumulator(str(runs[0] / "tb"), size_guidance={"scalars": 0, "images": 0})
    events.Reload()
    scalars = set(events.Tags()["scalars"])
    for tag in ("train/loss", "train/viewmaker_loss", "lr/encoder", "lr/viewmaker", "distortion/mean_abs",
                "distortion/psnr", "train/images_per_s", "probe/probe_top1", "probe/untrained_probe_top1"):
        assert tag in scalars, tag
    mean_abs = [e.value for e in events.Scalars("distortion/mean_abs")]
    assert all(0 < v <= 0.02 * 1.02 for v in mean_abs), mean_abs  # clamping can only shrink |delta|
    image = events.Images("views/original_views_delta")[-1]
    assert image.width == 5 * 32 and image.height == 6 * 32  # original, 3 views, |delta| for 6 inputs


def test_report_tables_the_sweep(sweep, tmp_path):
    out, _ = sweep
    result = vmk("report", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert list(tmp_path.iterdir()) == []  # nothing left in the folder it ran from
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert sorted(float(r["budget"]) for r in rows) == [0.02, 0.1]
    for row, run in zip(rows, sorted(p for p in out.iterdir() if p.is_dir())):
        record = json.loads((run / "results.json").read_text())
        assert float(row["probe_top1"]) == pytest.approx(record["metrics"]["probe_top1"], abs=0.01)
    lines = (out / "results.md").read_text().splitlines()
    assert len([line for line in lines if line.startswith("| ")]) == 3  # header + one row per run


def test_probe_of_saved_checkpoint_writes_results_and_reproduces_the_run(sweep, tmp_path):
    _, runs = sweep
    result = vmk("probe", f"ckpt={runs[0] / 'checkpoints/last.ckpt'}", "probe.epochs=2", f"hydra.run.dir={tmp_path}")
    assert result.returncode == 0, result.stderr[-3000:]
    probe = json.loads((tmp_path / "results.json").read_text())
    pretrain = json.loads((runs[0] / "results.json").read_text())
    assert probe["metrics"]["probe_top1"] == pytest.approx(pretrain["metrics"]["probe_top1"], abs=1e-6)


class Payload:
    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("case", ["missing", "text", "truncated", "malicious"])
def test_bad_checkpoints_are_one_line_exit_2(case, sweep, tmp_path):
    _, runs = sweep
    path = tmp_path / "bad.ckpt"
    marker = tmp_path / "payload-ran"
    if case == "text":
        path.write_text("hello")
    elif case == "truncated":
        path.write_bytes((runs[0] / "checkpoints/last.ckpt").read_bytes()[:5000])
    elif case == "malicious":
        payload = Payload()
        payload.marker = marker
        torch.save({"vmk": {}, "state_dict": {}, "x": payload}, path)
    result = vmk("probe", f"ckpt={path}", f"hydra.run.dir={tmp_path / 'out'}")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vmk: error: ckpt=") and "Traceback" not in result.stderr
    assert not marker.exists()
    assert not (tmp_path / "out" / "results.json").exists()
    if case in ("text", "truncated"):  # told before the job starts: nothing in the run dir but Hydra's .hydra/
        out = tmp_path / "out"
        assert not out.exists() or {p.name for p in out.iterdir()} <= {".hydra"}


@pytest.mark.parametrize(
    "override, needle",
    [
        ("budgt=0.1", "unknown setting budgt (did you mean budget?); `vmk pretrain --cfg job` lists every setting"),
        ("trainer.max_step=5", "unknown setting trainer.max_step (did you mean trainer.max_steps?)"),
        ("foo.bar=1", "unknown setting foo; `vmk pretrain --cfg job`"),
        ("trainer.MAX_STEPS=3", "unknown setting trainer.MAX_STEPS (did you mean trainer.max_steps?)"),
        ("objective.temprature=0.1", "unknown setting objective.temprature for objective=simclr (did you mean objective.temperature?)"),
        ("data.options.foo=1", "unknown setting data.options.foo: data.options has no such key yet; add one with +data.options.foo=VALUE"),
        ("budget=abc", "'abc' of type 'str' could not be converted to Float"),
        ("views=nonsense", "Could not find 'views/nonsense'; Available options in 'views': combined, expert, learned, noise"),
        ("budget=-1", "budget must be a positive number"),
        ("budget=0", "budget must be a positive number"),
        ("data=nope", "Could not find 'data/nope'"),
        ("data.batch_size=100000", "fewer than one batch"),
        ("trainer.max_steps=1.5", "could not be converted to Integer"),
        ("objective.queue_size=5", "unknown setting objective.queue_size for objective=simclr (moco has it: objective=moco)"),
    ],
)
def test_bad_overrides_exit_2_with_one_line_naming_the_problem(override, needle, tmp_path):
    result = vmk("pretrain", override, f"hydra.run.dir={tmp_path}")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vmk: error: ") and needle in lines[0], result.stderr
    assert not (tmp_path / "results.json").exists()


def test_unknown_command_exits_2():
    result = vmk("pretrian")
    assert result.returncode == 2 and "unknown command 'pretrian'" in result.stderr


def test_a_failing_sweep_job_is_marked_and_the_others_still_reported(tmp_path):
    result = vmk("pretrain", "-m", "data.batch_size=32,100000", *[o for o in TINY if not o.startswith("data.batch_size")],
                 f"hydra.sweep.dir={tmp_path}")
    assert result.returncode == 1 and "1 job(s) of the sweep failed" in result.stderr
    assert vmk("report", str(tmp_path)).returncode == 0
    rows = {r["run"].split("_")[0]: r for r in csv.DictReader((tmp_path / "results.csv").open())}
    assert rows["0"]["status"] == "ok" and float(rows["0"]["probe_top1"]) >= 0
    assert rows["1"]["status"].startswith("FAILED") and "fewer than one batch" in rows["1"]["status"]


def test_ckpt_of_another_shape_is_refused_for_probe_and_resume(sweep, tmp_path):
    _, runs = sweep
    ckpt = runs[0] / "checkpoints" / "last.ckpt"
    probe = vmk("probe", f"ckpt={ckpt}", "data.name=basic_motions", f"hydra.run.dir={tmp_path / 'p'}")
    assert probe.returncode == 2 and "expects 1-channel inputs" in probe.stderr and len(probe.stderr.strip().splitlines()) == 1, probe.stderr
    resume = vmk("pretrain", "modality=sensor", f"ckpt_path={ckpt}", *TINY[:3], f"hydra.run.dir={tmp_path / 'r'}")
    assert resume.returncode == 2 and "shape" in resume.stderr and "Traceback" not in resume.stderr, resume.stderr


def test_nan_in_data_is_a_clear_error(tmp_path):
    import numpy as np

    x = np.random.default_rng(0).normal(size=(40, 2, 16)).astype(np.float32)
    x[3, 1, 5] = np.nan
    np.savez(tmp_path / "d.npz", x=x)
    result = vmk("pretrain", "modality=sensor", "data=tensor_file", f"data.path={tmp_path / 'd.npz'}", "data.batch_size=8",
                 f"hydra.run.dir={tmp_path / 'r'}")
    assert result.returncode == 2 and "NaN or Inf" in result.stderr and len(result.stderr.strip().splitlines()) == 1
