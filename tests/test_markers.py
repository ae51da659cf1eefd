"""The marker tables of tests/conftest.py name tests that exist, and the markers are given."""

from __future__ import annotations

import re

import pytest

from tests.conftest import (
    BROWSER_MODULES,
    ROOT,
    SLOW_MODULES,
    SLOW_TESTS,
    SUBPROCESS_MODULES,
)


def test_every_module_the_marker_tables_name_exists():
    named = BROWSER_MODULES | SUBPROCESS_MODULES | SLOW_MODULES | set(SLOW_TESTS)
    gone = sorted(name for name in named if not (ROOT / "tests" / f"{name}.py").is_file())
    assert not gone, f"tests/conftest.py names modules that are gone: {gone}"


def test_every_slow_test_the_table_names_exists():
    gone = []
    for module, functions in SLOW_TESTS.items():
        path = ROOT / "tests" / f"{module}.py"
        source = path.read_text(encoding="utf-8") if path.is_file() else ""
        defined = set(re.findall(r"^def (test_\w+)\(", source, flags=re.MULTILINE))
        gone += [f"{module}.{function}" for function in sorted(functions - defined)]
    assert not gone, f"tests/conftest.py SLOW_TESTS names tests that are gone: {gone}"


def test_a_test_is_marked_by_the_fixtures_it_uses(redis_url, request):
    assert request.node.get_closest_marker("redis") is not None
    assert request.node.get_closest_marker("slow") is None


@pytest.mark.parametrize("marker", ["slow", "redis", "browser", "subprocess"])
def test_the_markers_are_registered_for_strict_markers(marker, pytestconfig):
    registered = [line.split(":")[0] for line in pytestconfig.getini("markers")]
    assert marker in registered
    assert "--strict-markers" in pytestconfig.getini("addopts")
