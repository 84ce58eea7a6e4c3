"""scripts/results.py rewrites only the measured part of docs/results.md: the reading written by hand stays."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "results.py"
spec = importlib.util.spec_from_file_location("results_script", SCRIPT)
results = importlib.util.module_from_spec(spec)
spec.loader.exec_module(results)


def tables(body: str) -> str:
    return f"{results.START}\n{body}\n{results.END}"


def test_a_new_file_gets_the_tables_and_an_empty_reading():
    text = results.splice("", tables("| a |"))
    assert text.startswith("# Results\n") and "| a |" in text and text.rstrip().endswith("## Reading")


def test_a_rerun_replaces_the_tables_and_keeps_the_hand_written_parts():
    first = results.splice("", tables("| old |")).replace("## Reading\n", "## Reading\nLearned beats noise.\n")
    first = first.replace("# Results\n", "# Results\n\nIntro by hand.\n")
    second = results.splice(first, tables("| new |"))
    assert "| new |" in second and "| old |" not in second
    assert "Intro by hand." in second and "Learned beats noise." in second
    assert second.count(results.START) == 1 and second.count(results.END) == 1


def test_a_finished_sweep_is_reused_and_an_unfinished_one_is_kept_aside(tmp_path):
    calls = tmp_path / "calls"
    fake = tmp_path / "vmk"  # stands in for vmk: records its call, makes the sweep folder
    fake.write_text(f"#!/bin/sh\necho \"$*\" >> {calls}\nfor a; do case $a in hydra.sweep.dir=*) mkdir -p ${{a#*=}};; esac; done\n")
    fake.chmod(0o755)
    out = tmp_path / "runs"
    (out / "sensor").mkdir(parents=True)
    (out / "sensor" / "half.txt").write_text("an interrupted sweep's run")
    first = results.sweep(str(fake), "sensor", "0,1", ["trainer.max_steps=2"], out)
    kept = [p for p in out.iterdir() if p.name.startswith("sensor.earlier-")]
    assert len(kept) == 1 and (kept[0] / "half.txt").read_text() == "an interrupted sweep's run"
    second = results.sweep(str(fake), "sensor", "0,1", ["trainer.max_steps=2"], out)
    assert second == first and len(calls.read_text().splitlines()) == 1  # reused, not run again
    results.sweep(str(fake), "sensor", "0,1", ["trainer.max_steps=3"], out)  # another command: run again
    assert len(calls.read_text().splitlines()) == 2


def test_an_unknown_modality_is_one_line_and_exit_2(capsys):
    import pytest

    with pytest.raises(SystemExit) as stop:
        results.main(["video"])
    assert stop.value.code == 2 and "image | audio | sensor" in capsys.readouterr().err
