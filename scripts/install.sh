#!/usr/bin/env bash
# Create the project's virtualenv and install vmk into it (editable), in about a minute.
#
# Torch: on a machine whose pip is configured with a local wheels folder (find-links), take the CPU build
# of torch 2.13 from there and nothing from CUDA: uv ignores pip's configuration, so we pass the folder
# and pin torch==2.13.0+cpu, which fails fast if the folder is missing instead of pulling CUDA torch
# and several GB of nvidia packages. Elsewhere (e.g. a CUDA box) the same command takes torch from PyPI.
set -euo pipefail
venv="${1:-.venv}"
python="${PYTHON:-python3}"

"$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check uv

links="${PIP_FIND_LINKS:-$("$python" -m pip config get global.find-links 2>/dev/null || true)}"
torch_args=()
if [ -n "$links" ]; then
    echo "vmk install: local wheels folder $links -> CPU torch 2.13 from there, no CUDA packages"
    constraints="$(mktemp)"
    echo "torch==2.13.0+cpu" > "$constraints"
    torch_args=(--find-links "$links" --constraint "$constraints")
fi

"$venv/bin/uv" pip install --quiet --python "$venv/bin/python" --compile-bytecode \
    "${torch_args[@]}" -e ".[speech,dev,slurm,optuna]"

if "$venv/bin/python" -m pip list 2>/dev/null | grep -qi '^nvidia-' && [ -n "$links" ]; then
    echo "vmk install: error: CUDA packages were installed on a CPU machine" >&2
    exit 1
fi

# librosa compiles its numba kernels on first use (~15-30 s): do it now, not in the first run.
"$venv/bin/python" - <<'PY'
import numpy as np, librosa
librosa.feature.melspectrogram(y=np.zeros(4096, dtype=np.float32), sr=16000)
import torch
print(f"vmk install: torch {torch.__version__}, CUDA available: {torch.cuda.is_available()}")
PY
