"""Crafted and damaged checkpoints: `vmk probe|views|embed ckpt=...` and `vmk pretrain resume=true` stop before
any work with one line (exit 2) that says what is wrong, and write nothing but `.hydra/`. Every case is made
from the real checkpoint of a tiny run (tests/commands/conftest.py) and saved with torch.save."""

from __future__ import annotations

import copy
import os
import shutil

import pytest
import torch

from tests.commands.conftest import RUNS, TINY
from tests.one_line import assert_one_line_error


class Evil:
    def __reduce__(self):
        return (os.system, ("touch PWNED",))


def nan_weights(c):
    c["state_dict"]["encoder.stem.0.weight"][0] = float("nan")


def inf_statistics(c):
    c["state_dict"]["encoder.stem.1.running_var"][:] = float("inf")


# name -> (edit of the checkpoint dict in place, or a function returning what to save instead; words of the error)
EDITS = {
    "no vmk entry": (lambda c: c.pop("vmk"), "not a vmk checkpoint"),
    "no state_dict": (lambda c: c.pop("state_dict"), "not a vmk checkpoint"),
    "a list": (lambda c: [1, 2], "not a vmk checkpoint"),
    "a pickled object": (lambda c: {**c, "vmk": Evil()}, "refused to load"),
    "another format": (lambda c: c["vmk"].__setitem__("format", 99), "format 99"),
    "no config": (lambda c: c["vmk"].pop("config"), "no run config"),
    "config without a model": (lambda c: c["vmk"]["config"].pop("model"), "no run config"),
    "config without data.root": (lambda c: c["vmk"]["config"]["data"].pop("root"), "no data.root"),
    "config wider than the weights": (lambda c: c["vmk"]["config"]["model"].__setitem__("width", 8), "size mismatch"),
    "negative width": (lambda c: c["vmk"]["config"]["model"].__setitem__("width", -3), "negative dimension"),
    "unknown architecture": (lambda c: c["vmk"]["config"]["model"].__setitem__("arch", "vgg"), "unknown model.arch"),
    "unknown views": (lambda c: c["vmk"]["config"]["views"].__setitem__("name", "bogus"), "unknown views.name"),
    "speech front end without its settings": (lambda c: c["vmk"].__setitem__("view_meta", {"waveform": True}), "can build"),
    "input shape of other channels": (lambda c: c["vmk"].__setitem__("input_shape", [3, 32, 32]), "size mismatch"),
    "input shape of four dims": (lambda c: c["vmk"].__setitem__("input_shape", [1, 2, 3, 4]), "input_shape"),
    "input shape as text": (lambda c: c["vmk"].__setitem__("input_shape", "1x32x32"), "input_shape"),
    "NaN weights": (nan_weights, "NaN or Inf"),
    "Inf BatchNorm statistics": (inf_statistics, "NaN or Inf"),
    "a weight missing": (lambda c: c["state_dict"].pop("encoder.stem.0.weight"), "missing key"),
    "a weight too many": (lambda c: c["state_dict"].__setitem__("encoder.extra", torch.zeros(2)), "unexpected key"),
    "a weight of another shape": (lambda c: c["state_dict"].__setitem__("encoder.stem.0.weight", torch.zeros(2, 2)), "size mismatch"),
    "a weight that is text": (lambda c: c["state_dict"].__setitem__("encoder.stem.0.weight", "w"), "not a dict of tensors"),
    "negative step": (lambda c: c.__setitem__("global_step", -1), "global_step"),
}
# Files that are not checkpoints at all: name -> (writer(path, good bytes), words of the error)
FILES = {
    "empty": (lambda p, good: p.write_bytes(b""), "not a readable checkpoint"),
    "truncated": (lambda p, good: p.write_bytes(good[: len(good) // 2]), "not a readable checkpoint"),
    "garbage": (lambda p, good: p.write_bytes(os.urandom(4096)), "not a readable checkpoint"),
    "a run dir without checkpoints": (lambda p, good: p.mkdir(), "no checkpoint in it"),
    "missing": (lambda p, good: None, "no such file"),
}
# Only a run that continues needs Lightning's training state and the RNG states.
RESUME_EDITS = {
    "no optimizer states": (lambda c: c.pop("optimizer_states"), "training state"),
    "no RNG states": (lambda c: c["vmk"].pop("rng"), "RNG states"),
    "damaged RNG states": (lambda c: c["vmk"]["rng"].__setitem__("torch", torch.zeros(3)), "RNG states"),
    # weights checked against the networks of the run that continues, not against the file's own config
    "a weight of another shape": (EDITS["a weight of another shape"][0], "this run's network (4, 1, 3, 3)"),
    "a weight too many": (EDITS["a weight too many"][0], "do not have (encoder.extra)"),
    "NaN weights": EDITS["NaN weights"],
}


@pytest.fixture(scope="module")
def good(ckpts):
    return torch.load(ckpts["image"], map_location="cpu", weights_only=True)


def craft(good, edits, name, path):
    """Save the checkpoint `edits[name]` makes of a copy of `good` at `path`; return the error's words."""
    edit, needle = edits[name]
    checkpoint = copy.deepcopy(good)
    made = edit(checkpoint)
    torch.save(made if name in ("a list", "a pickled object") else checkpoint, path)
    return needle


def bad_file(ckpts, good, name, tmp_path):
    path = tmp_path / "bad.ckpt"
    if name in FILES:
        write, needle = FILES[name]
        write(path, ckpts["image"].read_bytes())
        return path, needle
    return path, craft(good, EDITS, name, path)


@pytest.mark.parametrize("name", [*EDITS, *FILES])
def test_bad_checkpoint_is_refused_in_one_line(ckpts, good, tmp_path, monkeypatch, name):
    from viewmaker_cli.errors import UserError
    from viewmaker_cli.training.pretrained import load_pretrained

    monkeypatch.chdir(tmp_path)
    path, needle = bad_file(ckpts, good, name, tmp_path)
    with pytest.raises(UserError) as refused:
        load_pretrained(path)
    assert "\n" not in str(refused.value) and needle.lower() in str(refused.value).lower(), str(refused.value)
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize("name", list(RESUME_EDITS))
def test_checkpoint_without_what_resume_needs_is_refused(ckpts, good, tmp_path, name):
    from viewmaker_cli.errors import UserError
    from viewmaker_cli.training.checkpoint import check_resumable, load_checkpoint

    path = tmp_path / "bad.ckpt"
    needle = craft(good, RESUME_EDITS, name, path)
    with pytest.raises(UserError) as refused:
        check_resumable(load_checkpoint(path), path, good["state_dict"])
    assert "\n" not in str(refused.value) and needle.lower() in str(refused.value).lower(), str(refused.value)


def test_the_real_checkpoint_passes_every_check(ckpts, good):
    from viewmaker_cli.training.checkpoint import check_resumable, load_checkpoint

    check_resumable(load_checkpoint(ckpts["image"]), ckpts["image"], good["state_dict"])


@pytest.mark.parametrize("command, name", [("probe", "NaN weights"), ("probe", "config wider than the weights"),
                                           ("probe", "a pickled object"), ("views", "truncated"),
                                           ("embed", "no vmk entry"), ("probe", "a run dir without checkpoints")])
def test_commands_stop_before_any_work(vmk, ckpts, good, tmp_path, monkeypatch, command, name):
    monkeypatch.chdir(tmp_path)
    path, needle = bad_file(ckpts, good, name, tmp_path)
    run = tmp_path / "out"
    code, _, err = vmk(command, f"ckpt={path}", "probe.epochs=1", f"hydra.run.dir={run}") if command == "probe" else \
        vmk(command, f"ckpt={path}", f"hydra.run.dir={run}")
    assert_one_line_error(code, err, run, needle)
    assert not (tmp_path / "PWNED").exists()


def test_ckpt_naming_a_run_dir_points_to_its_checkpoint(vmk, ckpts, tmp_path):
    run_dir = ckpts["image"].parent.parent
    code, _, err = vmk("probe", f"ckpt={run_dir}", f"hydra.run.dir={tmp_path / 'out'}")
    assert_one_line_error(code, err, tmp_path / "out", f"ckpt={run_dir / 'checkpoints' / 'last.ckpt'}")


def snapshot(run_dir):
    """The run's own files and their contents. Left out: what every start rewrites (Hydra's .hydra/ and log, the
    lock's owner, and the config a resume continues with, .vmk/, which run_dir.claim copies from .hydra/)."""
    return {p.relative_to(run_dir): p.read_bytes() for p in run_dir.rglob("*") if p.is_file()
            and not {".hydra", ".vmk"} & set(p.parts) and p.suffix != ".log" and p.name != ".vmk.lock"}


@pytest.mark.parametrize("name", ["NaN weights", "a weight of another shape", "no optimizer states", "no checkpoints"])
def test_resume_from_a_bad_checkpoint_stops_before_training(vmk, ckpts, good, tmp_path, name):
    run = tmp_path / "run"
    shutil.copytree(ckpts["image"].parent.parent, run)
    if name == "no checkpoints":
        shutil.rmtree(run / "checkpoints")
        needle = "does not exist"
    else:
        needle = craft(good, RESUME_EDITS, name, run / "checkpoints" / "last.ckpt")
    before = snapshot(run)
    code, _, err = vmk("pretrain", *RUNS["image"], *TINY, "trainer.max_steps=2", "resume=true", f"hydra.run.dir={run}")
    assert_one_line_error(code, err, None, needle)
    assert snapshot(run) == before
