"""The house keeps its layers: every import in daemon/vidvar, lazy ones included, goes
to the same layer or one below, and no module imports itself back round a circle.

    4  cli, web, __main__             presentation
    3  engine                         the supervisor, workers, one job, one file
    2  inbox, quality, overview       a file's arrival and end; measures; the read model
    1  store, ffmpeg, effects, config, events, jobfolder, status
    0  errors, log, names, machine, beneath, mounts, units, schedule
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "daemon" / "vidvar"
LAYERS = {
    0: {"errors", "log", "names", "machine", "beneath", "mounts", "units", "schedule"},
    1: {"store", "ffmpeg", "effects", "config", "events", "jobfolder", "status"},
    2: {"inbox", "quality", "overview"},
    3: {"engine"},
    4: {"cli", "web", "__main__"},
}
LAYER_OF = {part: layer for layer, parts in LAYERS.items() for part in parts}
MAX_TOP_LEVEL_MODULES = 12

pytestmark = pytest.mark.unit


def modules() -> dict[str, Path]:
    """vidvar.x.y → its file."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The vidvar modules `name` imports, at any depth of its code."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("vidvar")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("vidvar"):
            for alias in node.names:  # `from vidvar import x`: x may be a module
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in known else node.module)
    return {m for m in found if m != name}


def part(module: str) -> str:
    """The top-level part of vidvar a module belongs to (a package or a module)."""
    return module.split(".")[1] if module.count(".") else module


def test_every_part_of_the_package_has_a_layer() -> None:
    parts = {part(m) for m in modules() if m != "vidvar"}
    assert parts <= set(LAYER_OF), f"give these a layer: {sorted(parts - set(LAYER_OF))}"


def test_no_import_runs_up_a_layer() -> None:
    known = modules()
    upward = []
    for name, path in known.items():
        if name == "vidvar":
            continue
        own = LAYER_OF[part(name)]
        for target in imports_of(name, path, known):
            if target == "vidvar":
                continue
            if LAYER_OF[part(target)] > own:
                upward.append(f"{name} (layer {own}) imports {target}")
    assert upward == []


def test_no_import_cycle() -> None:
    known = modules()
    graph = {name: imports_of(name, path, known) & set(known) for name, path in known.items()}
    # A package's __init__ re-exporting its modules is a face, not a cycle.
    for name in graph:
        graph[name] = {t for t in graph[name] if not name.startswith(t + ".")}
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycles.append(" → ".join([*trail[trail.index(target) :], target]))
            elif target not in state:
                visit(target, [*trail, target])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_few_modules_sit_loose_at_the_top() -> None:
    loose = [p.name for p in PACKAGE.glob("*.py") if p.name not in ("__init__.py", "__main__.py")]
    assert len(loose) <= MAX_TOP_LEVEL_MODULES, sorted(loose)


def test_no_class_over_250_lines_and_no_function_over_60() -> None:
    long = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            size = (node.end_lineno or node.lineno) - node.lineno + 1
            if isinstance(node, ast.ClassDef) and size > 250:
                long.append(f"class {node.name} in {path.name}: {size} lines")
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and size > 60:
                long.append(f"{node.name} in {path.name}: {size} lines")
    assert long == []
