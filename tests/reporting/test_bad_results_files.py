"""`vmk report` over damaged results.json files: each is skipped with one warning line naming it, the other
runs are reported (a sweep's table must not be lost to one bad file); nothing readable left is one error line."""

import json

from tests.one_line import assert_one_line_error
from tests.reporting.test_report_aggregate import run

BAD = {
    "garbage bytes": lambda p: p.write_bytes(b"\x80\xff\x00garbage"),
    "truncated JSON": lambda p: p.write_text('{"status": "ok", "metrics": {"probe_'),
    "a JSON list": lambda p: p.write_text("[1, 2]"),
    "metrics as a list": lambda p: p.write_text(json.dumps({"metrics": [1], "config": {"seed": 0}})),
    "config as text": lambda p: p.write_text(json.dumps({"metrics": {}, "config": "x"})),
    "a directory": lambda p: p.mkdir(),
}


def bad_runs(root):
    for i, write in enumerate(BAD.values()):
        (root / f"bad{i}").mkdir(parents=True)
        write(root / f"bad{i}" / "results.json")


def test_report_skips_each_bad_results_file_with_a_warning_and_reports_the_rest(vmk, tmp_path):
    run(tmp_path, 0, 0.05, 0, 80.0)
    bad_runs(tmp_path)
    code, out, err = vmk("report", str(tmp_path), "plot=false")
    assert code == 0, err
    warnings = err.strip().splitlines()
    assert len(warnings) == len(BAD) and all(w.startswith("vmk: warning: skipped ") for w in warnings), err
    assert {w.split()[3].removesuffix(":") for w in warnings} == {str(tmp_path / f"bad{i}" / "results.json") for i in range(len(BAD))}
    assert "80.00" in out and "1 runs" in out and "Traceback" not in err


def test_report_with_only_bad_results_files_is_one_error_line(vmk, tmp_path):
    bad_runs(tmp_path / "runs")
    code, _, err = vmk("report", str(tmp_path / "runs"), "plot=false")
    assert_one_line_error(code, err.split("\n", len(BAD))[-1], None, "no readable results.json")
    assert not (tmp_path / "runs" / "results.md").exists()
