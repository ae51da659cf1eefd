"""requirements/lock.txt (make setup) and requirements/runtime.txt (deploy/Dockerfile) pin every
dependency of pyproject.toml within its bounds, with hashes: a dependency added to or raised in
pyproject.toml without `make lock` fails here instead of being installed from nowhere."""

from __future__ import annotations

import re
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
LOCK = ROOT / "requirements" / "lock.txt"
RUNTIME = ROOT / "requirements" / "runtime.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def pins(path) -> dict[str, tuple[str, int]]:
    """name -> (version, how many hashes) of a pip-compile output."""
    found: dict[str, tuple[str, int]] = {}
    name = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := PIN.match(line):
            name = canonicalize_name(match.group(1))
            found[name] = (match.group(2), 0)
        elif name and line.strip().startswith("--hash=sha256:"):
            version, hashes = found[name]
            found[name] = (version, hashes + 1)
        elif not line.startswith(" "):
            name = None
    return found


RUNTIME_DEPENDENCIES = [Requirement(d) for d in PYPROJECT["project"]["dependencies"]]
DEV_DEPENDENCIES = [Requirement(d) for d in PYPROJECT["project"]["optional-dependencies"]["dev"]]


@pytest.mark.parametrize(
    "lock, requirements",
    [
        ("lock.txt", RUNTIME_DEPENDENCIES + DEV_DEPENDENCIES),
        ("runtime.txt", RUNTIME_DEPENDENCIES),
    ],
)
def test_the_lock_pins_every_dependency_of_pyproject_within_its_bounds(lock, requirements):
    pinned = pins(ROOT / "requirements" / lock)
    missing = [str(r) for r in requirements if canonicalize_name(r.name) not in pinned]
    assert not missing, f"requirements/{lock} lacks {missing}: run `make lock`"
    outside = [
        f"{r} (locked {pinned[canonicalize_name(r.name)][0]})"
        for r in requirements
        if not r.specifier.contains(pinned[canonicalize_name(r.name)][0], prereleases=True)
    ]
    assert not outside, f"requirements/{lock} pins outside pyproject.toml: {outside}"


@pytest.mark.parametrize("lock", [LOCK, RUNTIME], ids=["lock.txt", "runtime.txt"])
def test_every_pin_has_a_hash(lock):
    pinned = pins(lock)
    assert len(pinned) > 20
    assert not [name for name, (_, hashes) in pinned.items() if hashes == 0]


def test_runtime_pins_are_the_pins_of_the_full_lock():
    full, runtime = pins(LOCK), pins(RUNTIME)
    assert set(runtime) <= set(full)
    differ = {n: (v, full[n][0]) for n, (v, _) in runtime.items() if full[n][0] != v}
    assert not differ, f"runtime.txt and lock.txt disagree: {differ}: run `make lock`"


def test_the_parser_sees_a_dependency_missing_from_a_lock(tmp_path):
    lock = tmp_path / "lock.txt"
    lock.write_text(LOCK.read_text(encoding="utf-8").replace("\nflask==", "\nnot-flask=="))
    assert "flask" in pins(LOCK) and "flask" not in pins(lock)


def test_make_setup_and_the_dockerfile_install_from_the_locks_with_hashes():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "LOCK := requirements/lock.txt" in makefile
    assert "pip install --require-hashes -r $(LOCK)" in makefile
    # the package itself is built without an isolated (unpinned) build environment
    assert "--no-build-isolation -e ." in makefile and "setuptools" in pins(LOCK)
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    assert "pip install --require-hashes -r requirements/runtime.txt" in dockerfile
