"""A sweep's failed jobs are counted once each, whether they reported themselves or only left a results.json."""

import json

from viewmaker_cli.reporting import failed_jobs


def test_failed_results_under_the_sweep_dir_are_reported_once_per_run_dir(tmp_path, monkeypatch):
    log = tmp_path / "failed.txt"
    log.write_text("")
    monkeypatch.setenv(failed_jobs.ENV, str(log))
    sweep = tmp_path / "sweep"
    for name, status in (("0", "ok"), ("1", "failed"), ("2", "failed")):
        (sweep / name).mkdir(parents=True)
        (sweep / name / "results.json").write_text(json.dumps({"status": status, "error": f"user error: job {name}\nmore"}))
    (sweep / "3").mkdir()
    (sweep / "3" / "results.json").write_text("{not json")  # a half-written file of another tool: skipped
    failed_jobs.report(f"{sweep / '1'}: user error: job 1")  # job 1 reported itself too (same machine)
    failed_jobs.report_failed_results(sweep)
    assert failed_jobs.read(log) == [f"{sweep / '1'}: user error: job 1", f"{sweep / '2'}: user error: job 2"]


def test_outside_a_sweep_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.delenv(failed_jobs.ENV, raising=False)
    failed_jobs.report("x: y")  # no file named, none created
    monkeypatch.setenv(failed_jobs.ENV, str(tmp_path / "missing.txt"))
    failed_jobs.report("x: y")
    assert not (tmp_path / "missing.txt").exists()
