"""The table a run prints when it ends."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table


def print_run_table(config: dict, metrics: dict, protocol: dict, results_path: Path, steps: int | None = None) -> None:
    """The probe accuracies of the pretrained encoder beside the untrained one, with what a reader needs to
    weigh them: the steps trained, how many examples train and test each probe, and which results fall below
    the untrained encoder."""
    console = Console()
    if not protocol:
        console.print(f"no probe (probe.enabled=false or the data has no labels); results: {results_path}")
        return
    trained = f", {steps} steps" if steps is not None else ""
    table = Table(title=f"vmk: {config['data']['name']}, {config['views']['name']} views, {config['objective']['name']}, "
                        f"budget {config['budget']}{trained}")
    # The main kind's probe_top1 first, then each other kind run on the same encoder (probe.also).
    columns = [("probe_top1", f"{protocol['kind']} probe top-1 (%)")]
    columns += [(f"{kind}_top1", f"{kind} top-1 (%)") for kind in protocol.get("kinds", {})
                if kind != protocol["kind"] and f"{kind}_top1" in metrics]
    below = [(title, metrics[key], metrics[f"untrained_{key}"]) for key, title in columns
             if key in metrics and f"untrained_{key}" in metrics and metrics[key] < metrics[f"untrained_{key}"]]
    table.add_column("encoder")
    for _, title in columns:
        table.add_column(title, justify="right")
    for label, prefix in (("pretrained", ""), ("untrained (same init)", "untrained_")):
        cells = []
        for key, title in columns:
            value = metrics.get(prefix + key)
            flag = " below untrained" if not prefix and any(title == name for name, _, _ in below) else ""
            cells.append("" if value is None else f"{value:.2f}{flag}")
        if any(cells):
            table.add_row(label, *cells)
    console.print(table)
    train_n, test_n = protocol.get("train_examples"), protocol.get("test_examples")
    test_size = f" ({test_n} examples: one is {100 / test_n:.2g} points)" if test_n else ""
    train_size = f" ({train_n} examples)" if train_n else ""
    console.print(
        f"protocol: {protocol['kind']} probe on {protocol['layer']} features, {protocol['epochs']} epochs, "
        f"trained on {protocol['train_split']}{train_size}, top-1 on {protocol['eval_split']}{test_size}, {protocol['selection']}"
    )
    for key, _ in columns[1:]:
        kind = key.removesuffix("_top1")
        settings = protocol["kinds"][kind]
        shown = ", ".join(f"{name} {settings[name]}" for name in ("layer", "k", "temperature", "epochs") if settings.get(name))
        if kind == "knn" and train_n and settings.get("k", 0) > train_n:
            shown += f" (only {train_n} training examples: every one is a neighbour)"
        console.print(f"{kind}: {shown}, top-1 on {settings.get('eval_split', 'test')}")
    for title, pretrained, untrained in below:
        console.print(f"below untrained: {title} {pretrained:.2f} < {untrained:.2f}: pretraining has not helped "
                      "this probe yet (too few steps, or views that do not suit the task)")
    console.print(f"results: {results_path}")
