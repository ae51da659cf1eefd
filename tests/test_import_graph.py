"""The direction of dependencies (docs/developers.md, "Layout and dependency rules"), pinned.

Reads every module under service/ and workers/ as text (its AST), imports included wherever
they stand (inside functions and under TYPE_CHECKING too), and checks: no arrow from the core
to anything else of ours, none from learning or experiments to a transport, none from the
workers or the command line to the HTTP API, and no cycle between the parts.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# each part of the tree, and the parts it may import (besides itself)
PARTS = {
    "service": set(),  # the package itself: its __init__ only
    "service.core": set(),
    "service.contract": {"service.core"},
    # exports.py moves the store's event and impression streams to the training files
    "service.learning": {"service.core", "service.customers"},
    "service.experiments": {"service.core", "service.learning"},
    # a stored profile is checked with the schema a PUT validates with (review s31b H2)
    "service.customers": {"service.core", "service.contract"},
    "service.settings": set(),
    "service.logs": set(),
    "service.factory": {
        "service.core",
        "service.learning",
        # the experiment server the recommender asks for a customer's A/B arm (issue 12)
        "service.experiments",
        "service.customers",
        "service.settings",
    },
    "workers": {
        "service.core",
        "service.learning",
        "service.customers",
        "service.factory",
        "service.logs",
    },
    "service.cli": {
        "service.core",
        "service.contract",
        "service.learning",
        "service.experiments",
        "service.customers",
        "service.factory",
        "service.settings",
        "service.local",
        "workers",
    },
    "service.api": {
        "service.core",
        "service.contract",
        "service.learning",
        "service.experiments",
        "service.customers",
        "service.factory",
        "service.settings",
        "service.logs",
        "workers",
    },
    "service.local": {"service.settings"},
    "service.wsgi": {"service.api"},
}
THIRD_PARTY_KEPT_OUT = {"service.core": {"flask", "celery", "redis", "werkzeug"}}


def modules() -> dict[str, Path]:
    found = {}
    for top in ("service", "workers"):
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imported(name: str, path: Path) -> set[str]:
    """Every module name `name`'s source imports, relative imports resolved."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.add(target)
            out.update(f"{target}.{alias.name}" for alias in node.names)
    return out


def part_of(module: str) -> str | None:
    for part in sorted(PARTS, key=len, reverse=True):
        if module == part or module.startswith(part + "."):
            return part
    return None


def arrows() -> dict[tuple[str, str], list[str]]:
    """(from part, to part) -> the modules that make that arrow."""
    found: dict[tuple[str, str], list[str]] = {}
    for name, path in modules().items():
        source = part_of(name)
        assert source is not None, f"{name} belongs to no part: add it to PARTS"
        for target in imported(name, path):
            goal = part_of(target)
            if goal is not None and goal != source:
                found.setdefault((source, goal), []).append(f"{name} -> {target}")
    return found


def test_every_module_belongs_to_a_part() -> None:
    assert all(part_of(name) for name in modules())


def test_every_arrow_is_allowed() -> None:
    wrong = {
        f"{source} -> {goal}": by
        for (source, goal), by in arrows().items()
        if goal not in PARTS[source]
    }
    assert not wrong, "arrows the rules forbid:\n" + "\n".join(
        f"{arrow}: {', '.join(sorted(by)[:3])}" for arrow, by in sorted(wrong.items())
    )


def test_the_core_imports_no_transport_or_store_library() -> None:
    wrong = [
        f"{name} imports {target}"
        for name, path in modules().items()
        if part_of(name) in THIRD_PARTY_KEPT_OUT
        for target in imported(name, path)
        if target.split(".")[0] in THIRD_PARTY_KEPT_OUT[part_of(name)]
    ]
    assert wrong == []


def test_the_parts_form_no_cycle() -> None:
    graph: dict[str, set[str]] = {}
    for source, goal in arrows():
        graph.setdefault(source, set()).add(goal)
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        assert node not in path, "cycle: " + " -> ".join([*path[path.index(node) :], node])
        if node in done:
            return
        for nxt in sorted(graph.get(node, ())):
            visit(nxt, [*path, node])
        done.add(node)

    for node in sorted(graph):
        visit(node, [])


def test_the_rules_forbid_what_the_issue_names() -> None:
    """The table itself keeps the rules of issue 13: nothing from the core outwards, nothing
    from workers or command line into the HTTP API, nothing from learning into a transport."""
    assert PARTS["service.core"] == set()
    for part in ("workers", "service.cli"):
        assert "service.api" not in PARTS[part]
    for part in (
        "service.contract",
        "service.learning",
        "service.experiments",
        "service.customers",
    ):
        assert not PARTS[part] & {"service.api", "service.cli", "workers", "service.factory"}
