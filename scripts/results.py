"""`make results`: the project's own benchmark on the three embedded datasets, written into docs/results.md.

For each modality (image: Fashion-MNIST subset, audio: spoken digits, sensor: BasicMotions) one sweep of
views = learned, expert, noise × 3 seeds at the quickstart recipe (what `make demo` runs), each probed next
to an untrained encoder of the same architecture; then `vmk report` over the sweep gives mean ± std per view.
The tables, the commands and the machine go between the markers of docs/results.md; the hand-written
reading of the numbers around them is kept.

    python scripts/results.py               the real run (its length is printed in the file)
    python scripts/results.py image audio   those modalities only
    python scripts/results.py --rehearsal   1 modality, 2 seeds, tiny sizes: proves the script

A modality whose sweep finished before (its sweep.json says so, for the same command) is not run again: an
interrupted `make results` continues where it stopped.

Environment: OUT (the sweeps' folder, default ./results_runs), DOC (default docs/results.md), VMK (the vmk
executable, default the one beside this Python).
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

START, END = "<!-- tables:start (scripts/results.py writes this part) -->", "<!-- tables:end -->"
VIEWS = "learned,expert,noise"
MODALITIES = {"image": "Fashion-MNIST subset", "audio": "spoken digits (espeak-ng)", "sensor": "BasicMotions (UEA)"}
TINY = ["model.width=4", "views.width=4", "data.batch_size=16", "trainer.max_epochs=1", "trainer.max_steps=2",
        "probe.epochs=2", "probe.also=[knn]", "trainer.image_every_n_steps=0"]


def sweep(vmk: str, modality: str, seeds: str, extra: list[str], out: Path) -> tuple[str, float]:
    """Run one modality's sweep, or reuse the one that finished there with the same command."""
    folder = out / modality
    args = ["pretrain", "-m", f"modality={modality}", f"views={VIEWS}", f"seed={seeds}", "probe.also=[knn]",
            *extra, f"hydra.sweep.dir={folder}", "hydra/launcher=basic"]
    command = "vmk " + " ".join(a for a in args if not a.startswith("hydra.sweep.dir"))
    record = folder / "sweep.json"
    finished = json.loads(record.read_text()) if record.is_file() else {}
    if finished.get("command") == command:
        print(f"results: {modality}: reusing the finished sweep in {folder}")
        return command, finished["seconds"]
    if folder.exists():  # an unfinished or different sweep: kept aside, as vmk refuses to write into its runs
        folder.rename(folder.with_name(f"{modality}.earlier-{time.time_ns()}"))
    start = time.perf_counter()
    subprocess.run([vmk, *args], check=True)
    seconds = time.perf_counter() - start
    record.write_text(json.dumps({"command": command, "seconds": seconds}))
    return command, seconds


def report(vmk: str, folder: Path) -> str:
    subprocess.run([vmk, "report", str(folder)], check=True, stdout=subprocess.DEVNULL)
    return (folder / "results.md").read_text()


def sizes(folder: Path) -> str:
    first = json.loads(next(folder.rglob("results.json")).read_text())
    data, train = first.get("data", {}), first.get("train", {})
    return (f"{data.get('name')}: {data.get('train')} training and {data.get('test')} held-out test examples "
            f"(one test example = {100 / max(data.get('test') or 1, 1):.2f} points); {train.get('steps')} steps per run")


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else platform.processor()
    import torch

    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}, Python {platform.python_version()}, torch {torch.__version__}"


def commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=Path(__file__).parent)
    return done.stdout.strip() or "unknown"


def main(argv: list[str]) -> None:
    rehearsal = "--rehearsal" in argv
    chosen = [a for a in argv if a != "--rehearsal"]
    if any(a not in MODALITIES for a in chosen):
        print(f"usage: scripts/results.py [--rehearsal] [{' | '.join(MODALITIES)} ...]", file=sys.stderr)
        sys.exit(2)
    vmk = os.environ.get("VMK") or str(Path(sys.executable).with_name("vmk"))
    out = Path(os.environ.get("OUT", "results_runs")).resolve()
    doc = Path(os.environ.get("DOC", "docs/results.md"))
    modalities = chosen or (["sensor"] if rehearsal else list(MODALITIES))
    seeds, extra = ("0,1", TINY) if rehearsal else ("0,1,2", [])
    parts = [START, "",
             f"Measured {datetime.date.today().isoformat()} on {machine()}, commit {commit()}"
             + (" (REHEARSAL: tiny sizes, the numbers mean nothing)" if rehearsal else "") + ".",
             "Length: the quickstart preset as `make demo` runs it (its widths, epochs, batch and probe), "
             "views × seeds as below; every row is probed next to an untrained encoder of the same architecture "
             "(the `untrained_*` columns).", ""]
    for modality in modalities:
        command, seconds = sweep(vmk, modality, seeds, extra, out)
        parts += [f"### {modality}: {MODALITIES[modality]}", "", f"`{command}` ({seconds / 60:.1f} min)", "",
                  f"- {sizes(out / modality)}", "", report(vmk, out / modality), ""]
    parts.append(END)
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(splice(doc.read_text() if doc.exists() else "", "\n".join(parts)))
    print(f"results: wrote {doc}")


def splice(text: str, tables: str) -> str:
    """`text` with the part between the markers replaced by `tables` (which carries the markers); the
    hand-written rest is kept. A file without markers gets a title, the tables and an empty reading."""
    if START not in text:
        return "# Results\n\n" + tables + "\n\n## Reading\n"
    head, _, rest = text.partition(START)
    return head + tables + rest.partition(END)[2]


if __name__ == "__main__":
    main(sys.argv[1:])
