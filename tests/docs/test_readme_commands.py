"""Every shell command of the README works as written on a fresh clone: each offline `vmk` line runs (at tiny
sizes, through the real CLI in this process), each line whose data a fresh clone lacks ends in its one
"not found" line with exit code 2, and every other line names the test that covers it. A new README line
that tests/docs/readme_commands.py cannot classify fails here until it has a rule."""

from __future__ import annotations

import json
import re

from tests.docs.readme_commands import Command, readme_commands

# Appended to each line that runs (later overrides win): the smallest settings of each command.
TINY = {
    # The probe at the end of pretraining is the `vmk probe` line's (and tests/cli/'s): here it would cost seconds a line.
    "pretrain": ["model.width=4", "views.width=4", "views.num_res_blocks=1", "data.batch_size=8", "trainer.max_steps=1",
                 "probe.enabled=false", "trainer.image_every_n_steps=0",
                 "data.options.n_speakers=20"],  # spoken_digits: 20 synthesised speakers instead of 200
    "probe": ["probe.epochs=1", "probe.also=[]", "probe.baseline=false"],
    "views": ["n=2", "num_views=1", "frames=2"],
    "embed": ["splits=[test]"],
}
RUN_CKPT = "outputs/.../checkpoints/last.ckpt"  # the README's stand-ins for a run of the reader's own
# The run that stands in for it: the sensor run, whose 40 + 40 series probe and embed in a moment.
RUN_LINE = "vmk pretrain modality=sensor"
SWEEP_DIR = re.compile(r"^outputs/multirun/\S+$")
RUN_DIR = re.compile(r"^outputs/my-run$")


def test_every_readme_command_is_classified():
    commands = readme_commands()
    unclassified = [c.line for c in commands if c.kind == "unclassified"]
    assert not unclassified, f"README lines no rule of tests/docs/readme_commands.py covers: {unclassified}"
    kinds = {c.kind for c in commands}
    assert {"run", "absent-data", "install"} <= kinds, kinds  # the extraction still finds the blocks


def _tiny(args: list[str]) -> list[str]:
    """The line's arguments with the tiny settings appended; a sweep shrunk to the first value of each list."""
    extra = list(TINY.get(args[0], []))
    if args[0] == "pretrain" and ("-m" in args or "--multirun" in args):
        extra += [f"{a.split('=')[0]}={a.split('=', 1)[1].split(',')[0]}" for a in args if "," in a and "=" in a]
    if args[0] == "pretrain" and "data.options.n_speakers=20" in extra and "modality=audio" not in args:
        extra.remove("data.options.n_speakers=20")  # other datasets have no such option
    return [*args, *extra]


def _place(args: list[str], run_dir, sweep_dir) -> list[str]:
    """The README's stand-in paths replaced by the run and the sweep this test made."""
    out = []
    for arg in args:
        key, _, value = arg.rpartition("=")
        if value == RUN_CKPT:
            value = str(run_dir / "checkpoints" / "last.ckpt")
        elif SWEEP_DIR.match(value):
            value = str(sweep_dir)
        elif RUN_DIR.match(value):
            value = str(run_dir)
        out.append(f"{key}={value}" if key else value)
    return out


def test_readme_commands_run_as_written(vmk, tmp_path, tmp_path_factory, monkeypatch):
    import viewmaker_cli.data.fashion_mnist as fashion_mnist

    monkeypatch.chdir(tmp_path)  # outputs/ and my.npz are relative to where the reader types them
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # `~` is a fresh home without datasets
    monkeypatch.setenv("VMK_DATA", str(tmp_path_factory.getbasetemp() / "vmk-data"))  # synthesised digits shared
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", tmp_path / "no-debian-fashion-mnist")
    run_dir, sweep_dir = tmp_path / "run", tmp_path / "sweep"
    commands = [c for c in readme_commands() if c.kind in ("run", "absent-data")]
    assert RUN_LINE in [c.line for c in commands], f"the README no longer has `{RUN_LINE}`: choose another RUN_LINE"
    # Lines that read the reader's own run (probe, views, embed, report, resume) after the lines that make them.
    commands.sort(key=lambda c: any(a.startswith(("outputs/", "ckpt=outputs/", "hydra.run.dir=outputs/")) for a in c.args))
    failures = []
    for number, command in enumerate(commands):
        args = _place(command.args, run_dir, sweep_dir)
        if command.kind == "run":
            args = _tiny(args)
        if args[0] == "pretrain" and not any(a.startswith("hydra.run.dir=") for a in args):
            sweep = "-m" in args
            target = sweep_dir if sweep else run_dir if command.line == RUN_LINE else tmp_path / f"run-{number}"
            args.append(f"hydra.{'sweep' if sweep else 'run'}.dir={target}")
        code, out, err = vmk(*args)
        failures += _check(command, code, err)
    assert not failures, "README lines that do not work as written:\n" + "\n".join(failures)
    assert (sweep_dir / "results.md").is_file()
    record = json.loads((run_dir / "results.json").read_text())  # the resume line continued the sensor run, as it was
    assert record["train"]["resumed_from"] and record["config"]["modality"]["name"] == "sensor"
    for made in ("views.png", "test.npz", "encoder.safetensors"):  # the views and embed lines wrote into their run dirs
        assert list((tmp_path / "outputs").rglob(made)), made


def _check(command: Command, code: int, err: str) -> list[str]:
    lines = [line for line in err.splitlines() if line.strip()]
    if command.kind == "run":
        if code != 0 or "Traceback" in err:
            return [f"{command.line}: exit {code}: {err.strip()[-600:]}"]
        return []
    errors = [line for line in lines if line.startswith("vmk: error:")]
    if code != 2 or len(errors) != 1 or not re.search(r"not found: .*fix: |no such file", errors[0]):
        return [f"{command.line}: expected one 'not found ... fix:' line and exit 2, got exit {code}: {err.strip()[-600:]}"]
    return []
