"""Solving a `RegimenProblem` (regimen_problem.py): HiGHS exactly, a greedy fallback when
it gives no usable answer in time."""

from __future__ import annotations

import time
import warnings

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, OptimizeWarning, milp
from scipy.sparse import csr_array

from .regimen_problem import HIGHS_OPTIONS, RegimenProblem


# ---------------------------------------------------------------- solvers
def solve_exact(problem: RegimenProblem, time_limit: float) -> tuple[np.ndarray | None, bool]:
    """HiGHS on the program; (servings, proven optimal), or (None, False) without a solution.

    Stage 1: shortfall tier by tier (first tier first), cost, pills. Stage 2, only where stage
    1's answer overshoots a `dose_fit` nutrient: overshoot, cost, pills among the regimens no
    shorter of any tier's targets (see regimen_problem.py). Without a stage 2 answer, stage 1's
    stands (not proven optimal)."""
    if problem.size == 0:
        return np.zeros(0, dtype=np.int64), True
    deadline = time.perf_counter() + time_limit
    first, optimal = _solve_stage(problem, time_limit, np.zeros(0, dtype=np.int64), None)
    if first is None:
        return None, False
    first, optimal = _by_tier(problem, first, optimal, deadline)
    fit = _overshoot_columns(problem)
    if fit.size == 0 or float(problem.overshoot(problem.added(first))) <= 1e-12:
        return first, optimal  # the cheapest of the shortest, with no overshoot: stage 2's too
    shortest = problem.tier_shortfalls(problem.added(first))
    left = deadline - time.perf_counter()
    second, fitted = _solve_stage(problem, left, fit, shortest)
    if second is None or _shorter(problem, second, shortest):
        return first, False
    return second, optimal and fitted


def _shorter(problem: RegimenProblem, servings: np.ndarray, bound: np.ndarray) -> bool:
    """True where some tier of `servings` falls shorter of its targets than `bound` allows."""
    tiers = problem.tier_shortfalls(problem.added(servings))[: len(bound)]
    return bool((tiers > bound + 1e-9 * np.maximum(1.0, bound)).any())


def _by_tier(
    problem: RegimenProblem, first: np.ndarray, optimal: bool, deadline: float
) -> tuple[np.ndarray, bool]:
    """Stage 1 tier by tier (review s10 U2): where the solve with all tiers alike leaves a
    shortfall above the last tier, each tier in turn is solved for its own shortfall, then cost
    and pills, with every tier before it held at its optimum. Any answer found is at least as
    good, lexicographically, as `first`; a solve without an answer stops (not optimal)."""
    tiers = problem.tiers
    if len(tiers) < 2 or not (problem.tier_shortfalls(problem.added(first))[:-1] > 1e-12).any():
        return first, optimal
    best, proven = first, optimal
    for level in range(len(tiers)):
        bound = problem.tier_shortfalls(problem.added(best))[:level]
        left = deadline - time.perf_counter()
        found, exact = _solve_stage(problem, left, np.zeros(0, dtype=np.int64), bound, level)
        if found is None or _shorter(problem, found, bound):
            return best, False
        if problem.lexicographic(found) <= problem.lexicographic(best):
            best = found
        proven = proven and exact
    return best, proven


def _solve_stage(
    problem: RegimenProblem,
    time_limit: float,
    fit: np.ndarray,
    shortest: np.ndarray | None,
    tier: int | None = None,
) -> tuple[np.ndarray | None, bool]:
    """One HiGHS solve: stage 1 when `shortest` is None (every tier weighed alike); with
    `tier`, stage 1 for that tier's shortfall with the tiers before it held to `shortest`;
    else stage 2 (overshoot columns `fit`, each tier's shortfall at most its `shortest`)."""
    n, cols = problem.size, problem.gap_columns
    t, f = len(cols), len(fit)
    weights = problem.weights
    weighed = np.full(t, 0.0 if shortest is not None else weights.shortfall)
    if tier is not None:
        weighed[problem.tiers[tier]] = weights.shortfall
    cost = np.concatenate(
        [
            problem.cost_cents + weights.pill,
            np.zeros(n),
            weighed,
            np.full(f, weights.shortfall * problem.overshoot_weight),
        ]
    )
    targets = problem.targets
    most = (problem.max_servings @ problem.per_serving - problem.gaps)[fit] / targets[fit]
    upper = np.concatenate(
        [problem.max_servings, np.ones(n), problem.gaps[cols] / targets[cols], most]
    )
    integrality = np.concatenate([np.ones(2 * n), np.zeros(t + f)])
    rows, columns, values, lower, upper_rows = _constraint_rows(problem, fit, shortest)
    matrix = csr_array((values, (rows, columns)), shape=(len(lower), 2 * n + t + f))
    options = {"time_limit": max(time_limit, 1e-3), "mip_rel_gap": 0.0, **HIGHS_OPTIONS}
    try:
        with warnings.catch_warnings():
            # scipy passes options it does not list to HiGHS verbatim, with a warning
            warnings.filterwarnings("ignore", "Unrecognized options", RuntimeWarning)
            warnings.filterwarnings("ignore", "Unrecognized options", OptimizeWarning)
            result = milp(
                cost,
                integrality=integrality,
                bounds=Bounds(np.zeros(2 * n + t + f), upper),
                constraints=LinearConstraint(matrix, lower, upper_rows),
                options=options,
            )
    except (ValueError, RuntimeError, MemoryError):  # the greedy fallback answers instead
        return None, False
    if result.x is None:
        return None, False
    servings = np.clip(np.rint(result.x[:n]).astype(np.int64), 0, problem.max_servings)
    if not problem.feasible(servings):
        return None, False
    return servings, bool(result.status == 0)


def _overshoot_columns(problem: RegimenProblem) -> np.ndarray:
    """The `dose_fit` nutrients that some candidate can take past the gap."""
    most = problem.max_servings @ problem.per_serving - problem.gaps
    return np.array([c for c in problem.fit_columns if most[c] > 0], dtype=np.int64)


def _constraint_rows(
    problem: RegimenProblem, fit: np.ndarray, shortest: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sparse rows (row, column, value) with their bounds; columns are s, then y, then h, then
    o (the overshoot of each `fit` nutrient); with `shortest` (per tier, first first), the sum
    of h over each of the first len(shortest) tiers is at most its entry."""
    n, cols = problem.size, problem.gap_columns
    ids = np.arange(n)
    rows = [ids, ids, n + ids, n + ids, np.full(n, 2 * n)]
    columns = [ids, n + ids, ids, n + ids, n + ids]
    values = [np.ones(n), -problem.max_servings.astype(float), -np.ones(n), np.ones(n), np.ones(n)]
    lower = [np.full(2 * n, -np.inf), np.array([-np.inf])]
    upper = [np.zeros(2 * n), np.array([float(problem.max_products)])]
    row = 2 * n + 1
    worst = problem.max_servings @ problem.per_serving
    for column in np.flatnonzero(np.isfinite(problem.headroom) & (worst > problem.headroom)):
        amounts = problem.per_serving[:, column]
        used = np.flatnonzero(amounts > 0)
        rows.append(np.full(used.size, row))
        columns.append(used)
        values.append(amounts[used])
        lower.append(np.array([-np.inf]))
        upper.append(np.array([problem.headroom[column]]))
        row += 1
    for members in problem.groups:  # at most one product of each group (y columns)
        rows.append(np.full(members.size, row))
        columns.append(n + members)
        values.append(np.ones(members.size))
        lower.append(np.array([-np.inf]))
        upper.append(np.array([1.0]))
        row += 1
    if problem.budget is not None and problem.max_servings @ problem.cost_per_serving > (
        problem.budget
    ):
        rows.append(np.full(n, row))
        columns.append(ids)
        values.append(problem.cost_per_serving)
        lower.append(np.array([-np.inf]))
        upper.append(np.array([problem.budget + 1e-9]))
        row += 1
    for k, column in enumerate(cols):
        # a serving counts for at most the whole gap: the same shortfall at every integer point,
        # a much tighter relaxation (1000 µg of B12 against a 4 µg gap)
        amounts = np.minimum(problem.per_serving[:, column], problem.gaps[column])
        used = np.flatnonzero(amounts > 0)
        target = problem.targets[column]
        rows.append(np.full(used.size + 1, row))
        columns.append(np.append(used, 2 * n + k))
        values.append(np.append(amounts[used] / target, 1.0))
        lower.append(np.array([problem.gaps[column] / target]))
        upper.append(np.array([np.inf]))
        row += 1
    for k, column in enumerate(fit):
        # o_j >= (added_j - gap_j) / target_j: what the regimen gives past the gap
        amounts = problem.per_serving[:, column]
        used = np.flatnonzero(amounts > 0)
        target = problem.targets[column]
        rows.append(np.full(used.size + 1, row))
        columns.append(np.append(used, 2 * n + len(cols) + k))
        values.append(np.append(amounts[used] / target, -1.0))
        lower.append(np.array([-np.inf]))
        upper.append(np.array([problem.gaps[column] / target]))
        row += 1
    for members, most in zip(problem.tiers, () if shortest is None else shortest, strict=False):
        rows.append(np.full(members.size, row))
        columns.append(2 * n + members)
        values.append(np.ones(members.size))
        lower.append(np.array([-np.inf]))
        upper.append(np.array([most + 1e-9 * max(1.0, most)]))
        row += 1
    return (
        np.concatenate(rows),
        np.concatenate(columns),
        np.concatenate(values),
        np.concatenate(lower),
        np.concatenate(upper),
    )


def solve_greedy(problem: RegimenProblem) -> np.ndarray:
    """Add the serving with the best shortfall reduction per euro while everything still holds,
    in the first tier that any serving still reduces (a fallback: it does not weigh the
    overshoot)."""
    servings = np.zeros(problem.size, dtype=np.int64)
    added = np.zeros(problem.per_serving.shape[1])
    cost = 0.0
    current = problem.tier_shortfalls(added)
    while problem.size:
        trial = added + problem.per_serving
        ok = servings < problem.max_servings
        if int((servings > 0).sum()) >= problem.max_products:
            ok &= servings > 0
        for members in problem.groups:
            if (servings[members] > 0).any():
                blocked = np.zeros(problem.size, dtype=bool)
                blocked[members] = servings[members] == 0
                ok &= ~blocked
        ok &= (trial <= problem.headroom).all(axis=1)
        if problem.budget is not None:
            ok &= cost + problem.cost_per_serving <= problem.budget + 1e-9
        gains = current - problem.tier_shortfalls(trial)  # (candidates, tiers)
        reducing = [ok & (gains[:, k] > 1e-12) for k in range(gains.shape[1])]
        first = next((k for k, mask in enumerate(reducing) if mask.any()), None)
        if first is None:
            break
        ratio = np.where(reducing[first], gains[:, first] / problem.cost_per_serving, -np.inf)
        best = int(np.argmax(ratio))
        servings[best] += 1
        added = trial[best]
        cost += float(problem.cost_per_serving[best])
        current = problem.tier_shortfalls(added)
    return servings


def solve(problem: RegimenProblem, time_limit: float) -> tuple[np.ndarray, str, bool]:
    """(servings, solver, proven optimal): HiGHS, or the greedy fallback when it has nothing
    usable in time (or only a time-limited solution that the greedy one beats)."""
    exact, optimal = solve_exact(problem, time_limit)
    if exact is not None and optimal:
        return exact, "milp", True
    greedy = solve_greedy(problem)
    if exact is not None and problem.lexicographic(exact) <= problem.lexicographic(greedy):
        return exact, "milp", False
    return greedy, "greedy", False
