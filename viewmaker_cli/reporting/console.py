"""The table a run prints when it ends."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table


def print_run_table(config: dict, metrics: dict, protocol: dict, results_path: Path) -> None:
    console = Console()
    if not protocol:
        console.print(f"no probe (probe.enabled=false or the data has no labels); results: {results_path}")
        return
    table = Table(title=f"vmk: {config['data']['name']}, {config['views']['name']} views, {config['objective']['name']}, budget {config['budget']}")
    table.add_column("encoder")
    table.add_column("probe top-1 (%)", justify="right")
    if "probe_top1" in metrics:
        table.add_row("pretrained", f"{metrics['probe_top1']:.2f}")
    if "untrained_probe_top1" in metrics:
        table.add_row("untrained (same init)", f"{metrics['untrained_probe_top1']:.2f}")
    console.print(table)
    console.print(
        f"protocol: {protocol['kind']} probe on {protocol['layer']} features, {protocol['epochs']} epochs, "
        f"trained on {protocol['train_split']}, top-1 on {protocol['eval_split']}, {protocol['selection']}"
    )
    console.print(f"results: {results_path}")
