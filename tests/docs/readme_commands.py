"""The README's shell commands, read from its ```bash / ```sh / ```console blocks, and what a test does with
each: run it at tiny sizes, expect its "not found" line, or leave it to the test named in its reason."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
FENCE = re.compile(r"^```(bash|sh|console)\s*\n(.*?)^```", re.S | re.M)

# Lines no test here runs, each with where it is covered instead. Checked in order; the first match wins.
NOT_RUN = [
    (r"^make (demo|test)$", "install", "creates .venv, then the whole demo or suite: CI runs both from a fresh clone (.ci/run)"),
    (r"^pip install ", "install", "an install"),
    (r"^vmk tb\b", "server", "serves until Ctrl+C: tests/commands/test_tb.py"),
    (r"^vmk bench\b", "long", "times full-size steps of every mode: tests/commands/test_bench.py at tiny sizes"),
    (r"^scripts/gpu_check\.sh", "long", "a CUDA GPU, or about 20 s of CPU rehearsal: tests/scripts/"),
    (r"^(srun|torchrun|exec vmk)\b|hydra/launcher=(submitit_slurm|slurm)\b", "cluster",
     "SLURM or several machines: tests/launcher/ and tests/distributed/ on a local single-node SLURM"),
    (r"trainer\.devices=\d|hydra\.launcher\.devices=\[", "devices", "several GPUs or DDP processes: tests/distributed/"),
    (r"hydra/launcher=parallel\b", "processes", "a new process per job: tests/launcher/"),
    (r"hydra/sweeper=optuna\b", "search", "20 trials of a budget search: tests/reporting/test_optuna_sweep.py runs 3 tiny ones"),
    (r"^make results$", "long", "27 quickstart runs: tests/scripts/test_results_script.py checks the file it writes"),
]
# Lines whose data a fresh clone does not have: one `vmk: error:` line that says so, exit code 2.
ABSENT_DATA = [
    r"preset=paper modality=image data\.root=~/datasets$",
    r"preset=paper data=fashion_mnist$",
    r"^vmk data prepare librispeech\b",
    r"^vmk data check pamap2$",
    r"data=tensor_file data\.path=my\.npz$",
]


@dataclass
class Command:
    line: str
    kind: str  # run | absent-data | one of NOT_RUN's kinds | unclassified
    reason: str = ""

    @property
    def args(self) -> list[str]:
        """The words after `vmk`, as the shell passes them (`~` after `=` is not expanded by it)."""
        return shlex.split(self.line)[1:]


def command_lines(text: str) -> list[str]:
    """Each command of the shell blocks: continuation lines joined, prompts, comments and blank lines dropped."""
    lines = []
    for _, block in FENCE.findall(text):
        block = re.sub(r"\\\n\s*", "", block)
        for line in block.splitlines():
            line = line.strip().removeprefix("$ ")
            line = re.sub(r"\s+#.*$", "", line).strip()  # a trailing comment
            if line and not line.startswith("#"):
                lines.append(line)
    return lines


def classify(line: str) -> Command:
    for pattern, kind, reason in NOT_RUN:
        if re.search(pattern, line):
            return Command(line, kind, reason)
    if any(re.search(pattern, line) for pattern in ABSENT_DATA):
        return Command(line, "absent-data")
    if line.startswith("vmk "):
        return Command(line, "run")
    return Command(line, "unclassified", "add a rule to tests/docs/readme_commands.py")


def readme_commands() -> list[Command]:
    return [classify(line) for line in command_lines(README.read_text())]
