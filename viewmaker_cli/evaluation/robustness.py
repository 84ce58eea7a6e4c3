"""Robustness of a trained probe (the paper's Figure 4a): top-1 on clean test data, on each corruption and
severity, their mean, and the drop. Corruptions are generated on the device for any image data, or read
from CIFAR-10-C's .npy files."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import Tensor

from viewmaker_cli.core.progress import Progress, track
from viewmaker_cli.data.splits import model_space
from viewmaker_cli.errors import UserError
from viewmaker_cli.evaluation.cifar10c import read_cifar10c
from viewmaker_cli.evaluation.corruptions import CORRUPTIONS, SEVERITIES, corrupt

Predict = Callable[[Tensor], Tensor]  # uint8 (or [0,1] float) images -> predicted labels, on any device
CHUNK = 1000


def check_severities(severities: Iterable[int]) -> tuple[int, ...]:
    severities = tuple(severities)
    if not severities or any(s not in SEVERITIES for s in severities):
        raise UserError(f"probe.severities must be a non-empty list of 1..5, got {list(severities)}")
    return severities


@torch.no_grad()
def top1(predict: Predict, x: Tensor, y: Tensor, chunk: int = CHUNK) -> float:
    correct = 0
    for start in range(0, len(y), chunk):
        predicted = predict(x[start : start + chunk])
        correct += int((predicted == y[start : start + chunk].to(predicted.device)).sum())
    return 100.0 * correct / len(y)


def summarise(prefix: str, clean: float, table: dict[str, dict[int, float]]) -> dict[str, float]:
    """clean, mean over every (corruption, severity), drop = clean − corrupted, per corruption and per severity."""
    every = [acc for row in table.values() for acc in row.values()]
    corrupted = sum(every) / len(every)
    metrics = {f"{prefix}/clean_top1": clean, f"{prefix}/corrupted_top1": corrupted, f"{prefix}/drop": clean - corrupted}
    for name, row in table.items():
        metrics[f"{prefix}/{name}_top1"] = sum(row.values()) / len(row)
    for severity in next(iter(table.values())):
        column = [row[severity] for row in table.values()]
        metrics[f"{prefix}/severity{severity}_top1"] = sum(column) / len(column)
    return metrics


@torch.no_grad()
def generated_corruptions(
    predict: Predict, test_x: Tensor, test_y: Tensor, severities: Iterable[int], seed: int, device: torch.device,
    examples: int | None = None,
) -> tuple[dict[str, float], dict]:
    """The 15 families at `severities` applied to the (first `examples`) uint8 test images."""
    if test_x.dtype != torch.uint8 or test_x.ndim != 4:
        raise UserError("probe.corruptions=true needs image data (uint8 [N, C, H, W]); this data is not images")
    severities = check_severities(severities)
    if examples is not None:
        test_x, test_y = test_x[:examples], test_y[:examples]
    table: dict[str, dict[int, float]] = {}
    description = f"corruptions: {len(CORRUPTIONS)} kinds x {len(severities)} severities of {len(test_y)} test examples"
    with Progress(description, len(CORRUPTIONS) * len(severities), "set") as progress:
        for i, name in enumerate(CORRUPTIONS):
            table[name] = {}
            for severity in severities:
                # One random stream per (corruption, severity): a result does not depend on what else ran.
                generator = torch.Generator(device=device).manual_seed(seed * 1_000 + 10 * i + severity)
                correct = 0
                for start in range(0, len(test_y), CHUNK):
                    x = model_space(test_x[start : start + CHUNK].to(device))
                    predicted = predict(corrupt(x, name, severity, generator))
                    correct += int((predicted == test_y[start : start + CHUNK].to(device)).sum())
                table[name][severity] = 100.0 * correct / len(test_y)
                progress.update()
    metrics = summarise("corruption", top1(predict, test_x, test_y), table)
    protocol = {
        "source": "generated on the device with CIFAR-10-C's parameters (make_cifar_c.py), stored as uint8; "
        "frost uses a procedural texture instead of the six frost photographs",
        "corruptions": list(CORRUPTIONS),
        "severities": list(severities),
        "examples": len(test_y),
        "seed": seed,
        "clean": "the same test examples, uncorrupted",
    }
    return metrics, protocol


@torch.no_grad()
def cifar10c(predict: Predict, root: str, clean_x: Tensor, clean_y: Tensor, severities: Iterable[int]) -> tuple[dict[str, float], dict]:
    """Every CIFAR-10-C file at `severities`, in full; clean = the run's own CIFAR-10 test split."""
    if tuple(clean_x.shape[1:]) != (3, 32, 32):
        raise UserError(
            f"probe.cifar10c_root needs an encoder of 3x32x32 images probed on CIFAR-10; this probe's data has "
            f"shape {tuple(clean_x.shape[1:])} (use data=cifar10)"
        )
    severities = check_severities(severities)
    table: dict[str, dict[int, float]] = {}
    examples = 0
    sets = track(read_cifar10c(root, severities), f"CIFAR-10-C: {len(severities)} severities", len(CORRUPTIONS) * len(severities), "set")
    for name, severity, x, y in sets:
        table.setdefault(name, {})[severity] = top1(predict, x, y)
        examples = len(y)
    metrics = summarise("cifar10c", top1(predict, clean_x, clean_y), table)
    protocol = {"source": f"CIFAR-10-C .npy files in {root}", "corruptions": list(table), "severities": list(severities),
                "examples_per_severity": examples, "clean": "the CIFAR-10 test split of this probe"}
    return metrics, protocol
