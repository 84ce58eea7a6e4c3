"""`vmk bench` end to end through the CLI on tiny settings, and its one-line errors."""

import json

import pytest

from viewmaker_cli.bench.modes import MODES
from viewmaker_cli.errors import UserError

TINY = ["model.width=4", "views.width=4", "views.num_res_blocks=1", "bench.batch_size=8", "bench.steps=2",
        "bench.warmup=1", "bench.compile=false"]


def test_bench_times_every_mode_and_writes_bench_json(vmk, tmp_path):
    code, out, err = vmk("bench", "bench.shape=3x16x16", *TINY, f"hydra.run.dir={tmp_path}")
    assert code == 0, err[-3000:]
    record = json.loads((tmp_path / "bench.json").read_text())
    assert record["device"]["type"] == "cpu" and record["device"]["name"]
    assert record["versions"]["torch"] and record["shape"] == [3, 16, 16] and record["modality"] == "image"
    assert (record["batch_size"], record["steps"], record["warmup"]) == (8, 2, 1)
    assert record["precision"] == "32-true" and record["compile"] == {"setting": False, "enabled": False, "mode": "reduce-overhead"}
    assert record["model"]["arch"] == "resnet18_small" and record["model"]["width"] == 4
    assert list(record["modes"]) == list(MODES)
    for mode, r in record["modes"].items():
        assert r["images_per_s"] > 0 and r["step_ms"] > 0 and r["warmup_s"] > 0, mode
        assert r["ratio_to_reference"] == pytest.approx(r["images_per_s"] / record["modes"]["reference"]["images_per_s"])
        assert r["peak_memory_mib"] is None and r["compile_s"] is None and r["compiled"] is False  # CPU, no compile
        assert r["precision"] == "32-true"
    assert record["modes"]["reference"]["ratio_to_reference"] == 1
    for mode in MODES:
        assert mode in out
    assert "images/s" in out and str(tmp_path / "bench.json") in out.replace("\n", "")


def test_profile_writes_each_modes_operator_table_after_its_timed_steps(vmk, tmp_path):
    code, _, err = vmk("bench", "bench.shape=3x8x8", "bench.modes=[reference,alternating]", *TINY, "bench.profile=2",
                       f"hydra.run.dir={tmp_path}")
    assert code == 0, err[-3000:]
    record = json.loads((tmp_path / "bench.json").read_text())
    assert record["profile_steps"] == 2
    for mode in ("reference", "alternating"):
        table = (tmp_path / f"profile-{mode}.txt").read_text()
        assert record["modes"][mode]["profile"] == str(tmp_path / f"profile-{mode}.txt")
        assert table.startswith("# 2 steps after the timed ones, sorted by self_cpu_time_total")
        assert "aten::convolution_backward" in table  # the profiled steps trained: a real operator table
    # Exactly the 2 steps after the timed ones: the viewmaker's Adam and the encoder's SGD each stepped twice.
    calls = {line.split()[0]: int(line.split()[-1]) for line in (tmp_path / "profile-alternating.txt").read_text().splitlines()
             if line.strip().startswith("Optimizer.step")}
    assert calls == {"Optimizer.step#Adam.step": 2, "Optimizer.step#SGD.step": 2}


def test_without_profile_no_table_is_written(vmk, tmp_path):
    code, _, err = vmk("bench", "bench.shape=3x8x8", "bench.modes=[encoder]", *TINY, f"hydra.run.dir={tmp_path}")
    assert code == 0, err[-3000:]
    assert not list(tmp_path.glob("profile-*")) and "profile" not in json.loads((tmp_path / "bench.json").read_text())["modes"]["encoder"]


def test_compiled_modes_report_their_compile_time(vmk, tmp_path, monkeypatch):
    from viewmaker_cli.core import compile as compiling

    graphs = []
    monkeypatch.setattr(compiling, "BACKEND", lambda gm, example_inputs: graphs.append(gm) or gm.forward)
    code, _, err = vmk("bench", "bench.shape=3x8x8", "bench.modes=[reference,alternating,encoder]", *TINY,
                       "bench.compile=true", f"hydra.run.dir={tmp_path}")
    assert code == 0, err[-3000:]
    record = json.loads((tmp_path / "bench.json").read_text())
    assert record["compile"] == {"setting": True, "enabled": True, "mode": "reduce-overhead"} and graphs
    modes = record["modes"]
    assert modes["reference"]["compiled"] is False and modes["reference"]["compile_s"] is None  # always eager
    for mode in ("alternating", "encoder"):
        assert modes[mode]["compiled"] is True and modes[mode]["compile_s"] >= 0
        assert modes[mode]["warmup_s"] >= modes[mode]["compile_s"]


@pytest.mark.parametrize("shape, channels, arch", [("speech", 1, "resnet18"), ("sensor", 52, "resnet18_small")])
def test_modality_presets_run_their_views_and_encoder(vmk, tmp_path, shape, channels, arch):
    code, _, err = vmk("bench", f"bench.shape={shape}", "bench.modes=[expert]", *TINY,
                       "bench.batch_size=4", "bench.steps=1", f"hydra.run.dir={tmp_path}")
    assert code == 0, err[-3000:]
    record = json.loads((tmp_path / "bench.json").read_text())
    assert record["shape"][0] == channels and record["model"]["arch"] == arch
    assert list(record["modes"]) == ["expert"]
    assert all(r["ratio_to_reference"] is None and r["images_per_s"] > 0 for r in record["modes"].values())


def test_a_bad_setting_ends_in_one_line_and_exit_2(vmk, tmp_path):
    code, _, err = vmk("bench", "bench.modes=[reference,fastest]", f"hydra.run.dir={tmp_path}")
    assert code == 2 and "bench.modes" in err and "fastest" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "bench.json").exists()


@pytest.mark.parametrize("override, key", [
    ("bench.shape=3x0x8", "bench.shape"), ("bench.shape=cifar", "bench.shape"), ("bench.batch_size=1", "bench.batch_size"),
    ("bench.steps=0", "bench.steps"), ("bench.compile=sometimes", "bench.compile"), ("bench.precision=fp8", "bench.precision"),
    ("bench.modes=[]", "bench.modes"), ("budget=0", "budget"), ("model.arch=vit", "model.arch"),
    ("views.norm=l3", "views.norm"), ("bench.size=huge", "bench.size"), ("bench.profile=-1", "bench.profile"),
])
def test_every_bad_setting_is_named(override, key):
    from hydra import compose, initialize_config_dir

    from viewmaker_cli.commands.bench import parse_shape, validate
    from viewmaker_cli.config import config_dir, register

    register()
    with initialize_config_dir(config_dir=str(config_dir()), version_base=None):
        cfg = compose(config_name="bench", overrides=[override])
    with pytest.raises(UserError, match=key.replace(".", r"\.")):
        validate(cfg)
        parse_shape(cfg.bench.shape)


def test_a_mode_the_inputs_cannot_have_fails_before_any_timing(vmk, tmp_path, monkeypatch):
    """Expert views of a raw series: one line and exit 2 before the reference (listed first) is timed."""
    from viewmaker_cli.commands import bench as command

    monkeypatch.setattr(command, "run_mode", lambda *a: pytest.fail("a mode was timed"))
    code, _, err = vmk("bench", "bench.device=cpu", "bench.shape=6x40", "bench.modes=[reference,expert]",
                       "model.width=4", "bench.batch_size=4", f"hydra.run.dir={tmp_path}")
    assert code == 2 and "raw 1-D series" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "bench.json").exists()


@pytest.mark.parametrize("modality, clamp, normalize", [("image", True, "after"), ("audio", False, "before"), ("sensor", False, "before")])
def test_the_timed_config_takes_its_modality_settings_from_conf_modality(modality, clamp, normalize):
    from hydra import compose, initialize_config_dir

    from viewmaker_cli.commands.bench import pretrain_config
    from viewmaker_cli.config import config_dir, register

    register()
    with initialize_config_dir(config_dir=str(config_dir()), version_base=None):  # as inside `vmk bench`
        cfg = compose(config_name="bench")
        inside = pretrain_config(cfg, modality, "resnet18")["modality"]
    outside = pretrain_config(cfg, modality, "resnet18")["modality"]
    assert inside == outside == {"name": modality, "clamp": clamp, "normalize": normalize}


QUICKSTART = {"model.width": 16, "views.width": 8, "bench.batch_size": 64, "bench.warmup": 1, "bench.steps": 2}


@pytest.mark.parametrize("size, cuda, given, expected", [
    ("auto", False, set(), QUICKSTART),
    ("auto", True, set(), {}),  # on CUDA the GPU-sized defaults stay
    ("full", False, set(), {}),
    ("quickstart", True, set(), QUICKSTART),
    ("auto", False, {"bench.batch_size", "model.width", "bench.steps"}, {"views.width": 8, "bench.warmup": 1}),  # given wins
])
def test_without_cuda_the_quickstart_model_and_batch_are_timed(size, cuda, given, expected):
    from viewmaker_cli.bench.sizes import pick_sizes

    assert pick_sizes(size, cuda, given, "image") == expected
    if expected.get("bench.batch_size"):  # the sensor quickstart trains on batches of 16
        assert pick_sizes(size, cuda, given, "sensor")["bench.batch_size"] == 16


def test_the_keys_given_are_read_with_hydras_parser():
    from viewmaker_cli.bench.sizes import given_keys

    assert given_keys(["model.width=8", "+views.width=4", "bench.modes=[a,b]", "hydra.run.dir='x y'"]) == {
        "model.width", "views.width", "bench.modes", "hydra.run.dir"}


def test_a_bench_without_sizes_on_the_cpu_says_it_times_the_quickstart_model(vmk, tmp_path):
    # Steps given (kept); the model and the batch are left to the default, on small images to stay quick.
    code, out, err = vmk("bench", "bench.device=cpu", "bench.shape=3x8x8", "bench.modes=[encoder]", "bench.steps=1",
                         "bench.warmup=0", f"hydra.run.dir={tmp_path}")
    assert code == 0, err[-3000:]
    record = json.loads((tmp_path / "bench.json").read_text())
    assert (record["model"]["width"], record["views"]["width"], record["batch_size"]) == (16, 8, 64)
    assert (record["warmup"], record["steps"]) == (0, 1)
    line = [line for line in out.splitlines() if "timing the quickstart model" in line]
    assert line and line[0].endswith(
        ": timing the quickstart model (width 16, views width 8, batch 64, 0 warm-up + 1 timed step per mode); "
        "pass bench.size=full for the full size (width 64, views width 32, batch 256, 0 warm-up + 1 timed step per mode)")
    assert record["size"] in line[0]
