"""The package's layering, read from its imports: no import circles, and no import that runs back up.

Layers, bottom to top (ARCHITECTURE.md): 1 leaf utilities; 2 data, models, views, objectives; 3 training,
evaluation, export, reporting, bench; 4 the commands and Hydra's plugins. A module may import its own
layer or below. Imports inside functions count: they are deferred, not absent."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("viewmaker_cli", "hydra_plugins")

LAYERS = {
    "viewmaker_cli.errors": 1,
    "viewmaker_cli.config": 1,
    "viewmaker_cli.validation": 1,
    "viewmaker_cli.output_paths": 1,
    "viewmaker_cli.core": 1,
    "viewmaker_cli.data": 2,
    "viewmaker_cli.models": 2,
    "viewmaker_cli.views": 2,
    "viewmaker_cli.objectives": 2,
    "viewmaker_cli.training": 3,
    "viewmaker_cli.evaluation": 3,
    "viewmaker_cli.export": 3,
    "viewmaker_cli.reporting": 3,
    "viewmaker_cli.bench": 3,
    "viewmaker_cli.commands": 4,
    "viewmaker_cli.cli": 4,
    "viewmaker_cli.__main__": 4,
    "viewmaker_cli": 4,  # the package's __init__: its public names (Viewmaker, ...) come from below
    "hydra_plugins": 4,
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in (REPO / package).rglob("*.py")}


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that `name` imports (for `from a import b`: a.b when it is a module, else a)."""
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import a.b.c` of a module: its closest known module
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, set(known)) for name, path in known.items()}


def layer(name: str) -> int:
    owner = max((prefix for prefix in LAYERS if name == prefix or name.startswith(prefix + ".")), key=len)
    return LAYERS[owner]


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_every_module_has_a_layer() -> None:
    for name in modules():
        assert layer(name) in (1, 2, 3, 4), name


def test_no_import_circles() -> None:
    assert cycles(graph()) == []


def room(name: str) -> str:
    """The folder a module lives in (viewmaker_cli.training.module -> viewmaker_cli.training)."""
    parts = name.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else name


def test_no_circles_between_folders() -> None:
    """Within a layer folders may use each other, but only one way round (evaluation may use training's
    saved runs, or training evaluation's probes, never both)."""
    rooms: dict[str, set[str]] = {}
    for src, targets in graph().items():
        rooms.setdefault(room(src), set()).update(room(t) for t in targets if room(t) != room(src))
    assert cycles(rooms) == []


def test_no_import_runs_back_up() -> None:
    upward = sorted(f"{src} (layer {layer(src)}) imports {dst} (layer {layer(dst)})"
                    for src, targets in graph().items() for dst in targets if layer(dst) > layer(src))
    assert upward == []


def test_the_checker_sees_circles_and_upward_imports() -> None:
    """Negative control: the two checks catch what they are for."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert layer("viewmaker_cli.training.module") > layer("viewmaker_cli.objectives.simclr")
    known = set(modules())
    edges = imports("viewmaker_cli.objectives.simclr", REPO / "viewmaker_cli/objectives/simclr.py", known)
    assert "viewmaker_cli.core.dist" in edges
