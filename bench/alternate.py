"""Alternated rounds of one in-process CPU measure on two checkouts, each round in a fresh
process per checkout (bench.core_cpu for a POST, bench.refresh_cpu for a refresh profile).

Imported by the parent process only: a child runs the measuring script with the other
checkout first on `sys.path`, and an older checkout may not have this module."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def run_child(script: str, root: Path, call: str) -> dict[str, Any]:
    """`call` (e.g. "child(1500, 1)") of `script` run on `root`'s code: its `.venv` if it has
    one, else this one's; the result's `root` must be `root` (else the wrong code ran)."""
    python = root / ".venv" / "bin" / "python"
    if not python.exists():
        python = Path(sys.executable)
    name, _, args = call.removesuffix(")").partition("(")
    code = (
        f"import json, runpy, sys; sys.path.insert(0, {str(root)!r}); "
        f"run = runpy.run_path({script!r})[{name!r}]; print(json.dumps(run({args})))"
    )
    out = subprocess.run(
        [str(python), "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    if Path(result["root"]) != root.resolve():
        raise SystemExit(f"{root}: ran the code of {result['root']}")
    return result


def alternate(
    base_root: Path, here: Path, rounds: int, measure: Callable[[Path], float], unit: str
) -> None:
    """Print each round's figures (the order of the two flips every round), then the medians
    with min-max and the ratio this/base per round."""
    base: list[float] = []
    mine: list[float] = []
    ratios: list[float] = []
    for i in range(rounds):
        order = [(base_root, base), (here, mine)]
        if i % 2:
            order.reverse()
        for root, into in order:
            into.append(measure(root))
        ratios.append(mine[-1] / base[-1])
        print(f"round {i + 1}: base {base[-1]} us, this {mine[-1]} us, {ratios[-1]:.3f}")

    def spread(values: list[float]) -> str:
        return f"{statistics.median(values):.3f} ({min(values):.3f}-{max(values):.3f})"

    print(f"base ({base_root}): {spread(base)} us per {unit}")
    print(f"this ({here}): {spread(mine)} us per {unit}")
    print(f"this over base, per round: {spread(ratios)}")
