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
    # The main kind's probe_top1 first, then each other kind run on the same encoder (probe.also).
    columns = [("probe_top1", f"{protocol['kind']} probe top-1 (%)")]
    columns += [(f"{kind}_top1", f"{kind} top-1 (%)") for kind in protocol.get("kinds", {})
                if kind != protocol["kind"] and f"{kind}_top1" in metrics]
    table.add_column("encoder")
    for _, title in columns:
        table.add_column(title, justify="right")
    for label, prefix in (("pretrained", ""), ("untrained (same init)", "untrained_")):
        cells = [metrics.get(prefix + key) for key, _ in columns]
        if any(cell is not None for cell in cells):
            table.add_row(label, *("" if cell is None else f"{cell:.2f}" for cell in cells))
    console.print(table)
    console.print(
        f"protocol: {protocol['kind']} probe on {protocol['layer']} features, {protocol['epochs']} epochs, "
        f"trained on {protocol['train_split']}, top-1 on {protocol['eval_split']}, {protocol['selection']}"
    )
    for key, _ in columns[1:]:
        kind = key.removesuffix("_top1")
        settings = protocol["kinds"][kind]
        shown = ", ".join(f"{name} {settings[name]}" for name in ("layer", "k", "temperature", "epochs") if settings.get(name))
        console.print(f"{kind}: {shown}, top-1 on {settings.get('eval_split', 'test')}")
    console.print(f"results: {results_path}")
