"""What every refused input must look like: exit code 2, one line on stderr naming the problem, no traceback,
and a run dir that holds nothing but what Hydra wrote before the command ran (.hydra/ and its job log)."""

from __future__ import annotations

from pathlib import Path


def assert_one_line_error(code: int, err: str, run_dir: Path | None = None, needle: str = "") -> str:
    lines = err.strip().splitlines()
    assert code == 2, f"exit code {code}:\n{err[-3000:]}"
    assert len(lines) == 1 and lines[0].startswith("vmk: error: "), f"not one line:\n{err[-3000:]}"
    assert needle.lower() in lines[0].lower(), f"{needle!r} not in: {lines[0]}"
    if run_dir is not None and run_dir.exists():
        left = sorted(p.name for p in run_dir.iterdir() if p.name != ".hydra" and not p.name.endswith(".log"))
        assert not left, f"{run_dir} holds {left} after a refused input"
    return lines[0]


def one_line_exit_2(result: tuple[int, str, str], needle: str) -> str:
    """`result` (the vmk fixture's exit code, stdout, stderr) is one `vmk: error:` line holding `needle`, exit 2."""
    code, _, err = result
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("vmk: error: ") and needle in lines[0], err
    return lines[0]
