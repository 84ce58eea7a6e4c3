#!/usr/bin/env bash
# The GPU acceptance run: one command on a machine with one CUDA GPU, one Markdown summary.
#
#   scripts/gpu_check.sh                 the real run (375 s on one H200, 2026-11-30)
#   scripts/gpu_check.sh --cpu-rehearsal the same steps at tiny sizes on the CPU (about 20 s): proves the
#                                        script before GPU time is spent; CI runs it
#
# Writes everything under $OUT (default ./gpu_check/): summary.md (device, versions, every number, the
# commands), bench-256/ and bench-512/ (vmk bench: every mode, compiled, ratios to the authors' algorithm, and
# profile-MODE.txt: torch.profiler's operator table of 5 more steps),
# fashion_mnist/ (20 epochs of learned views on full Fashion-MNIST, then the linear probe).
#
# Fashion-MNIST: the four IDX .gz files of Debian's dataset-fashion-mnist package, found in
# $FASHION_MNIST_DIR (default: where the package installs them). The rehearsal writes a small set of
# files in the same format from the embedded subset instead, so it reads the same path.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=gpu
case "${1:-}" in
    "") ;;
    --cpu-rehearsal) mode=rehearsal ;;
    *) echo "usage: $0 [--cpu-rehearsal]" >&2; exit 2 ;;
esac
out="${OUT:-./gpu_check}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
vmk="${VMK:-$(command -v vmk || echo .venv/bin/vmk)}"
python="$(dirname "$vmk")/python"
[ -x "$python" ] || python=python3
start=$(date +%s)
commands="$out/commands.txt"
: > "$commands"

failed=0
run() {  # run and record a vmk command line; after a failed step the next ones still run, after a signal none
    echo "vmk $*" >> "$commands"
    "$vmk" "$@" || { failed=$?; echo "(exit $failed)" >> "$commands"; [ "$failed" -lt 128 ] || exit "$failed"; }
}

summarize() {  # the summary of whatever finished: runs on exit, also when a step failed or was cut short
    status=$?
    [ "$status" -ne 0 ] || status=$failed
    "$python" - "$out" "$mode" $(( $(date +%s) - start )) "$status" <<'PY'
import json
import sys
from pathlib import Path

out, mode, wall, status = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
PROTOCOL = ("kind", "layer", "epochs", "optimizer", "lr", "standardize", "train_examples", "test_examples", "selection")
TARGETS = {"alternating": ("×", 3.0), "simultaneous": ("×", 5.0), "expert": ("img/s", 20000.0)}
lines = [f"# vmk GPU check ({'CPU rehearsal: tiny sizes, the numbers mean nothing' if mode == 'rehearsal' else 'GPU'})", ""]
benches = sorted(out.glob("bench-*/bench.json"), key=lambda p: int(p.parent.name.split("-")[1]))
if benches:
    first = json.loads(benches[0].read_text())
    lines += [f"- device: {first['device']}", f"- versions: {first['versions']}", f"- commit: {first['git']}"]
lines += [f"- wall: {wall} s", f"- finished: {'yes' if status == 0 else f'NO (exit {status}): the steps below that are missing did not finish'}", ""]
for path in benches:
    b = json.loads(path.read_text())
    lines += [f"## vmk bench, batch {b['batch_size']}, shape {'x'.join(map(str, b['shape']))}, "
              f"compile {b['compile']['enabled']} ({b['compile'].get('mode', 'default')}), {b['precision']}", "",
              "| mode | img/s | × reference | step ms | compile s | target |", "|---|---|---|---|---|---|"]
    for mode_name, r in b["modes"].items():
        target = ""
        if mode_name in TARGETS:
            unit, goal = TARGETS[mode_name]
            value = r["ratio_to_reference"] if unit == "×" else r["images_per_s"]
            target = f"{'met' if value is not None and value >= goal else 'NOT met'} (≥ {goal:g}{'×' if unit == '×' else ' img/s'})"
        ratio = "" if r["ratio_to_reference"] is None else f"{r['ratio_to_reference']:.2f}"
        compile_s = "" if r.get("compile_s") is None else f"{r['compile_s']:.0f}"
        lines.append(f"| {mode_name} | {r['images_per_s']:,.0f} | {ratio} | {r['step_ms']:.1f} | {compile_s} | {target} |")
    profiles = sorted(path.parent.glob("profile-*.txt"))
    if profiles:
        lines += ["", f"Operator tables ({b.get('profile_steps')} steps each, after the timed ones): "
                  + ", ".join(f"{p.parent.name}/{p.name}" for p in profiles)]
    lines.append("")
results_file = out / "fashion_mnist" / "results.json"
if results_file.is_file():
    results = json.loads(results_file.read_text())
    m, t = results["metrics"], results.get("train", {})
    top1 = m["probe_top1"]
    lines += ["## Fashion-MNIST, learned views", "",
              f"- probe top-1: {top1:.2f} (untrained encoder: {m.get('untrained_probe_top1', float('nan')):.2f}); "
              f"target ≥ 88.4: {'met' if top1 >= 88.4 else 'NOT met'}",
              f"- training: {m['train_images_per_s']:,.0f} img/s over {t.get('steps')} steps ({t.get('train_s')} s)",
              "- protocol: " + ", ".join(f"{k} {results['protocol'][k]}" for k in PROTOCOL if k in results["protocol"]), ""]
lines += ["## Commands", "", "```", *(out / "commands.txt").read_text().splitlines(), "```", ""]
(out / "summary.md").write_text("\n".join(lines))
print("\n".join(lines))
PY
    echo "gpu_check: wrote $out/summary.md in $(( $(date +%s) - start )) s" >&2
    exit "$status"
}

if [ "$mode" = gpu ]; then
    if ! "$python" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)'; then
        echo "gpu_check: torch sees no CUDA GPU here; run with --cpu-rehearsal to check the script on the CPU" >&2
        exit 2
    fi
    fmnist="${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"  # Debian: apt-get install dataset-fashion-mnist
    bench=(bench.batch_size=256 bench.compile=true bench.profile=5)  # + each mode's operator table, after timing
    train=(model.width=64 data.batch_size=256 trainer.max_epochs=20 probe.epochs=100)
else
    fmnist="$out/fashion-mnist-rehearsal"
    "$python" - "$fmnist" <<'PY'
import sys
from pathlib import Path

import numpy as np

from viewmaker_cli.data.fashion_mnist import FILES, load_fashion_mnist_subset
from viewmaker_cli.data.idx import write_idx

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
s = load_fashion_mnist_subset(pad_to=None)  # 28x28, as the real files
arrays = (s.train_x[:512, 0].numpy(), s.train_y[:512].numpy(), s.test_x[:256, 0].numpy(), s.test_y[:256].numpy())
for name, array in zip(FILES, arrays):
    write_idx(out / name, np.ascontiguousarray(array, dtype=np.uint8))
PY
    bench=(bench.device=cpu bench.batch_size=16 bench.steps=2 bench.warmup=1 bench.compile=false model.width=8 views.width=8 bench.profile=1)
    train=(trainer.accelerator=cpu model.width=4 views.width=4 data.batch_size=32 trainer.max_epochs=1 trainer.max_steps=4 probe.epochs=2)
fi

trap summarize EXIT

# 1. Speed: every mode, compiled, at batch 256.
run bench "${bench[@]}" "hydra.run.dir=$out/bench-256"

# 2. Quality: learned views (alternating, the default) on full Fashion-MNIST padded to 32x32, ResNet-18 with the
# 3x3 stem, budget 0.05; probe: pooled features, standardised, linear layer with Adam 1e-3.
run pretrain data=fashion_mnist "data.root=$fmnist" views=learned budget=0.05 model.arch=resnet18_small \
    probe.kind=linear probe.layer=pooled probe.lr=0.001 probe.standardize=true probe.also=[] probe.baseline=true \
    trainer.image_every_n_steps=0 "${train[@]}" "hydra.run.dir=$out/fashion_mnist"

# 3. Batch 512 too, when the run so far leaves time for it within 8 minutes.
if [ "$mode" = gpu ] && [ $(( $(date +%s) - start )) -lt 330 ]; then
    run bench "${bench[@]}" bench.batch_size=512 "hydra.run.dir=$out/bench-512"
fi
