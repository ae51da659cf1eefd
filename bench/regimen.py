"""Regimen latency (issue #6): the bundled catalog and a 1k-SKU synthetic one, in process.

Every number is measured now, on this machine, over a few hundred varied profiles
(bench/profiles.py: ages, diets, allergies, medications, conditions, pregnancy, current
supplements), each asked for a regimen of 1 to 5 products, a third of them within a budget.
Shown next to a baseline measured in the same run on the same profiles: `evaluate()` alone
(totals, limits, targets, safety masks and rules), the work every answer starts with.

- regimen: `formulate_regimen()` end to end (evaluate, program, HiGHS, texts);
- solver: only `solve()` on the program, for the profiles that have something to solve;
- solver without dose fit: the same programs built with `dose_fit=False` (the objective before
  R8 counted the overshoot past the advice), solved in the same loop, in alternating order, so
  the ratio of the two is measured on the same machine at the same time.

    python -m bench.regimen [--profiles 300] [--rounds 2] [--time-limit 0.5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import time
from collections import Counter
from typing import Any

import numpy as np

from bench.profiles import request_bodies
from service.core.profile import Profile
from service.core.ranking import evaluate
from service.core.regimen import formulate_regimen, regimen_problem, solve
from service.core.snapshot import DataPaths, Snapshot, load_snapshot
from service.core.synthetic import synthetic_catalog
from service.core.yamlfile import load_yaml
from service.settings import REPO_ROOT

CATALOG = REPO_ROOT / "catalog" / "products.yaml"
RULES = REPO_ROOT / "rules"
TODAY = dt.date(2026, 11, 28)
TARGETS_MS = {"bundled": {"p50": 10.0, "p99": 50.0}, "1000 SKUs": {"p99": 200.0}}


def percentiles(samples: list[float]) -> dict[str, float]:
    ms = np.array(samples) * 1000
    return {
        "p50": round(float(np.percentile(ms, 50)), 3),
        "p99": round(float(np.percentile(ms, 99)), 3),
        "max": round(float(ms.max()), 3),
        "n": len(samples),
    }


def regimen_requests(snapshot: Snapshot, count: int, seed: int = 23) -> list[dict[str, Any]]:
    """The recommendation bench's profiles, each asked for a regimen."""
    rng = np.random.default_rng(seed)
    skus = [p.sku for p in snapshot.catalog.products]
    requests = []
    for body in request_bodies(count, skus):
        budget = None if rng.random() < 0.67 else float(rng.choice([5.0, 10.0, 20.0, 40.0]))
        requests.append(
            {
                "profile": body["profile"],
                "max_products": int(rng.integers(1, 6)),
                "budget_per_month": budget,
                "locale": body["locale"],
            }
        )
    return requests


def _evaluate_only(snapshot: Snapshot, request: dict[str, Any]) -> Any:
    profile = Profile.from_dict(request["profile"])
    lines = [
        (f"profile.current_supplements.{i}", line)
        for i, line in enumerate(profile.current_supplements)
    ]
    return evaluate(snapshot, profile, lines, TODAY)


def bench_catalog(
    label: str, snapshot: Snapshot, count: int, rounds: int, time_limit: float
) -> dict[str, Any]:
    requests = regimen_requests(snapshot, count)
    for request in requests[:30]:  # warm-up: imports, caches, texts
        formulate_regimen(snapshot, request, TODAY, time_limit=time_limit)
    baseline: list[float] = []
    timed: list[float] = []
    solver_only: list[float] = []
    without_fit: list[float] = []
    solvers: Counter[str] = Counter()
    round_ratios = []  # p50 with / without the dose fit, per round: the spread under load
    for _ in range(rounds):
        start = len(solver_only)
        for request in requests:
            t0 = time.perf_counter()
            ev = _evaluate_only(snapshot, request)
            t1 = time.perf_counter()
            answer = formulate_regimen(snapshot, request, TODAY, time_limit=time_limit)
            t2 = time.perf_counter()
            baseline.append(t1 - t0)
            timed.append(t2 - t1)
            solvers[answer["solver"] + ("" if answer["optimal"] else " (not proven optimal)")] += 1
            max_products, budget = request["max_products"], request["budget_per_month"]
            problem = regimen_problem(ev, max_products, budget)
            if problem.size and problem.gaps.any() and not ev.over_limit_now:
                before = regimen_problem(ev, max_products, budget, dose_fit=False)
                pairs = [(problem, solver_only), (before, without_fit)]
                for program, samples in pairs if len(solver_only) % 2 else pairs[::-1]:
                    t3 = time.perf_counter()
                    solve(program, time_limit)
                    samples.append(time.perf_counter() - t3)
        if len(solver_only) > start:
            with_fit = np.median(solver_only[start:])
            round_ratios.append(round(float(with_fit / np.median(without_fit[start:])), 2))
    row: dict[str, Any] = {
        "catalog": label,
        "products": len(snapshot.catalog),
        "regimen": percentiles(timed),
        "solver": percentiles(solver_only),
        "solver_without_dose_fit": percentiles(without_fit),
        "baseline_evaluate": percentiles(baseline),
        "solvers": dict(solvers),
    }
    row["ratio_p50"] = round(row["regimen"]["p50"] / row["baseline_evaluate"]["p50"], 2)
    row["ratio_p99"] = round(row["regimen"]["p99"] / row["baseline_evaluate"]["p99"], 2)
    fitless = row["solver_without_dose_fit"]
    row["dose_fit_ratio_p50"] = round(row["solver"]["p50"] / fitless["p50"], 2)
    row["dose_fit_ratio_p99"] = round(row["solver"]["p99"] / fitless["p99"], 2)
    row["dose_fit_ratio_rounds"] = round_ratios
    targets = TARGETS_MS.get(label, {})
    row["targets_met"] = all(row["regimen"][k] <= v for k, v in targets.items())
    return row


def report(row: dict[str, Any]) -> None:
    regimen, solver, base = row["regimen"], row["solver"], row["baseline_evaluate"]
    targets = TARGETS_MS.get(row["catalog"], {})
    wanted = ", ".join(f"{k} <= {v:g} ms" for k, v in targets.items())
    print(
        f"regimen, {row['catalog']:>9} ({row['products']} products, {regimen['n']} requests): "
        f"p50 {regimen['p50']:.2f} ms, p99 {regimen['p99']:.2f} ms, max {regimen['max']:.2f} ms"
        f"\n    solver alone ({solver['n']} programs): p50 {solver['p50']:.2f} ms, "
        f"p99 {solver['p99']:.2f} ms; without the dose fit p50 "
        f"{row['solver_without_dose_fit']['p50']:.2f} ms, p99 "
        f"{row['solver_without_dose_fit']['p99']:.2f} ms: {row['dose_fit_ratio_p50']}x at p50, "
        f"{row['dose_fit_ratio_p99']}x at p99 (p50 per round: {row['dose_fit_ratio_rounds']})"
        f"\n    baseline evaluate() alone: p50 {base['p50']:.3f} ms, p99 {base['p99']:.3f} ms; "
        f"regimen is {row['ratio_p50']}x at p50, {row['ratio_p99']}x at p99"
        f"\n    answered by: {', '.join(f'{k} {v}' for k, v in sorted(row['solvers'].items()))}"
        + (
            f"\n    targets ({wanted}): {'met' if row['targets_met'] else 'MISSED'}"
            if wanted
            else ""
        ),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--profiles", type=int, default=300, help="profiles per catalog")
    parser.add_argument("--rounds", type=int, default=2, help="passes over the profiles")
    parser.add_argument("--time-limit", type=float, default=0.5, help="HiGHS time limit, s")
    args = parser.parse_args()
    print(
        f"{platform.python_version()} on {platform.platform()}, {os.cpu_count()} CPUs, "
        f"{dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}",
        flush=True,
    )
    paths = DataPaths(CATALOG, RULES)
    catalogs = [("bundled", None), ("1000 SKUs", 1000)]
    for label, size in catalogs:
        document = None if size is None else synthetic_catalog(load_yaml(CATALOG), size)
        snapshot = load_snapshot(paths, document)
        report(bench_catalog(label, snapshot, args.profiles, args.rounds, args.time_limit))


if __name__ == "__main__":
    main()
