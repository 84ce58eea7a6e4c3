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
