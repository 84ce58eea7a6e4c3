"""budget_sweep.png: probe accuracy against the distortion budget, one line per views/objective combination
(and any other setting that differs between configurations), error bars = std over seeds, log-x axis; the
untrained encoder's accuracy (same architecture and initial weights) as a dashed line to beat."""

from __future__ import annotations

from pathlib import Path

from viewmaker_cli.core.atomic import atomic_output
from viewmaker_cli.reporting.aggregate import Group, group_runs
from viewmaker_cli.reporting.table import LEAD_METRIC, pick


def lines(groups: list[Group], metric: str = LEAD_METRIC) -> dict[str, list[tuple[float, float, float, int]]]:
    """line name -> [(budget, mean, std, n)] sorted by budget, from the configurations with a value."""
    out: dict[str, list] = {}
    for group in groups:
        mean, std, n = group.stats(metric)
        budget = pick(group.first, "config", "budget")
        if mean is None or not isinstance(budget, (int, float)) or budget <= 0:
            continue
        others = [o for o in group.overrides if o.split("=", 1)[0].lstrip("+~") not in ("budget", "views", "objective", "views.name", "objective.name")]
        name = f"{pick(group.first, 'config', 'views', 'name')} views, {pick(group.first, 'config', 'objective', 'name')}"
        name += f" ({' '.join(others)})" if others else ""
        out.setdefault(name, []).append((float(budget), mean, std or 0.0, n))
    return {name: sorted(points) for name, points in out.items()}


def untrained_baseline(groups: list[Group], metric: str = LEAD_METRIC) -> tuple[float, int] | None:
    """The mean of the runs' `untrained_<metric>` and how many runs it averages; None when no run has one."""
    values = [v for group in groups for r in group.ok
              if isinstance(v := (r.get("metrics") or {}).get(f"untrained_{metric}"), (int, float))]
    return (sum(values) / len(values), len(values)) if values else None


def plot_budget_sweep(records: list[dict], path: str | Path, metric: str = LEAD_METRIC) -> Path | None:
    """Write the plot atomically; None (nothing written) when the runs span fewer than two budgets."""
    groups = group_runs(records)
    data = lines(groups, metric)
    if len({b for points in data.values() for b, *_ in points}) < 2:
        return None
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=120)
    try:
        for name, points in data.items():
            budgets, means, stds, _ = zip(*points)
            ax.errorbar(budgets, means, yerr=stds, marker="o", capsize=4, label=name)
        baseline = untrained_baseline(groups, metric)
        if baseline is not None:
            ax.axhline(baseline[0], color="0.4", linestyle="--", linewidth=1,
                       label=f"untrained encoder, same init ({baseline[0]:.1f}, mean of {baseline[1]} runs)")
        budgets = sorted({b for points in data.values() for b, *_ in points})
        ax.set_xscale("log")
        ax.set_xticks(budgets, [f"{b:g}" for b in budgets])
        ax.minorticks_off()
        first = next(g.first for g in groups if g.stats(metric)[0] is not None)
        probe = "/".join(str(pick(first, "protocol", k)) for k in ("kind", "layer"))
        seeds = sorted({n for points in data.values() for *_, n in points})
        ax.set_xlabel("distortion budget ε (log scale)")
        ax.set_ylabel(f"{metric} (%)")
        datasets = dict.fromkeys(pick(g.first, "data", "name") or pick(g.first, "config", "data", "name") for g in groups)
        ax.set_title(f"{', '.join(map(str, datasets))}: {probe} probe, "
                     f"mean ± std over {'/'.join(map(str, seeds))} seed(s)", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        with atomic_output(path) as tmp:
            fig.savefig(tmp, format="png")
    finally:
        plt.close(fig)
    return path
