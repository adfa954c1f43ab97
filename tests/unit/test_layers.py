"""The import graph of robot/: one-way flow down the layers of ARCHITECTURE.md, and no import circle."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROBOT = Path(__file__).resolve().parents[2] / "robot"

# Top to bottom. A module may import its own layer or a lower one, never a higher one.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"__main__"}),
    frozenset({"cli"}),
    frozenset({"commands"}),
    frozenset({"app"}),
    frozenset({"daemon", "scheduler", "health",
               "web"}),  # the review desk: served by the daemon, a person's decision taken through resolution
    frozenset({"worker",
               "request_import",  # the case system's export of requests sent, learnt by the scheduler's job
               "resolution"}),  # a person's decision on an escalation: the same road (worker) for every front

    frozenset({"stages"}),
    frozenset({"extract", "mail", "decisions", "notify", "archive", "ingress", "observe",
               "setting_tables",  # the loader that checks the adapters' tables, with the adapters
               "desk_config",  # the desk's [web] section read whole (users file, secret, TLS), beside the loader
               "smime_config", "smime_files"}),  # [smime] read whole: the keys opened with their passphrases, the anchors
    frozenset({"model", "form", "ledger", "rules", "privacy", "durable", "config_values", "config_error", "settings",
               "log", "loopback", "name_match", "private_files", "clock", "__init__"}),
)


def _part(module: str) -> str:
    """The layer part of a module name: `robot.extract.cpr` -> `extract`, `robot.app` -> `app`, `robot` -> `__init__`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _rank(part: str) -> int:
    for rank, layer in enumerate(LAYERS):
        if part in layer:
            return rank
    raise AssertionError(f"robot/{part} is in no layer of tests/unit/test_layers.py: place it")


def _imports() -> dict[str, set[str]]:
    """Every robot module and the robot modules it imports (also inside functions and TYPE_CHECKING blocks)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in ROBOT.rglob("*.py"):
        module = ".".join(path.relative_to(ROBOT.parent).with_suffix("").parts).removesuffix(".__init__")
        graph[module]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "robot":
                names = [f"{node.module}.{alias.name}" for alias in node.names]
                graph[module].update(name if (ROBOT.parent / name.replace(".", "/")).with_suffix(".py").exists()
                                     else node.module for name in names)
            elif isinstance(node, ast.Import):
                graph[module].update(alias.name for alias in node.names if alias.name.split(".")[0] == "robot")
    return graph


def test_every_import_points_down_or_sideways() -> None:
    upward = sorted(f"{module} -> {imported}" for module, imported_set in _imports().items() for imported in imported_set
                    if _rank(_part(imported)) < _rank(_part(module)))
    assert upward == []


def test_no_import_circle() -> None:
    graph = _imports()
    state: dict[str, int] = {}
    circles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for imported in sorted(graph.get(module, ())):
            if state.get(imported) == 1:
                circles.append([*path[path.index(imported):], imported] if imported in path else [module, imported])
            elif imported not in state:
                visit(imported, [*path, imported])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert circles == []
