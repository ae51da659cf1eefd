"""The regimen beside a medicine's warning threshold (interactions.yaml `warn`, a day's total
above which a medicine or condition calls for the doctor's advice first): held below it where
the advice stays within it (review 21), and no further past the advice than the closest dose
where the advice itself is above it (session 18), as the list orders its products (scoring.yaml
`dose_fit`). Split from regimen.py."""

from __future__ import annotations

import numpy as np

from .advice_config import advice_config
from .amounts import above
from .day_totals import advice_past_warning, advice_within_warning
from .ranking import Evaluation
from .regimen_problem import RegimenProblem, regimen_problem
from .regimen_solve import solve

Solved = tuple[RegimenProblem, np.ndarray, str, bool]


def held_below_warnings(
    ev: Evaluation,
    problem: RegimenProblem,
    solved: tuple[np.ndarray, str, bool],
    max_products: int,
    budget: float | None,
    time_limit: float,
) -> Solved:
    """The regimen as a list orders it (scoring.yaml `dose_fit.past_warning`, review 21): where
    it takes a nutrient past a medicine's warning threshold that the advice stays within (a
    thiazide user taking 5 µg vitamin D: 25 µg with the 20 µg drops), the regimen held to that
    threshold instead, when it still gives some of the nutrient and falls short of the targets
    by no more than `past_warning` per threshold kept (the 10 µg tablet: 15 µg a day). Else the
    regimen as solved, with the warning."""
    servings, solver, optimal = solved
    past = advice_config(ev.snapshot.reference).fit_past_warning
    within = advice_within_warning(ev) if past and servings.any() else {}
    added = problem.added(servings)
    passed = {c: t for c, t in within.items() if added[c] > 0 and above(ev.intake[c] + added[c], t)}
    if not passed:
        return problem, servings, solver, optimal
    capped = regimen_problem(ev, max_products, budget, warning_caps=passed)
    if capped.size == 0:
        return problem, servings, solver, optimal
    other, how, exact = solve(capped, time_limit)
    more = capped.added(other)
    gives = all(more[c] > 0 for c in passed)
    if gives and capped.shortfall(more) <= problem.shortfall(added) + past * len(passed):
        return capped, other, how, exact
    return problem, servings, solver, optimal


def closest_past_warnings(
    ev: Evaluation, solved: Solved, max_products: int, budget: float | None, time_limit: float
) -> Solved:
    """Where the advice itself is above a medicine's warning threshold (a measured 20 nmol/l:
    30 µg vitamin D advised, a thiazide's threshold 20 µg, digoxin's any amount) and the regimen
    goes further past the advice than a regimen held to it falls short (50 µg against 25 µg),
    the held one: the dose closest to the advice, as the list puts it first (over and under
    the advice weigh the same there, scoring.yaml `dose_fit`), where every other target is met
    as well. The regimen never reaches an advice by going that far past a threshold a medicine
    sets; the target says why it is missed. Else the regimen as solved."""
    problem, servings, solver, optimal = solved
    if not servings.any() or problem.warning_caps:
        return solved
    config = advice_config(ev.snapshot.reference)
    tolerance = config.fit_order_tolerance or 0.0
    targets, added = np.nan_to_num(problem.targets), problem.added(servings)

    def distance(column: int, amounts: np.ndarray) -> float:
        return abs(float(ev.intake[column] + amounts[column] - targets[column]))

    past = {
        c: t
        for c, t in advice_past_warning(ev).items()
        if added[c] > 0
        and distance(c, added) > tolerance * targets[c]
        and above(ev.intake[c] + added[c], targets[c])
    }
    if not past:
        return solved
    capped = regimen_problem(ev, max_products, budget, advice_caps=past)
    if capped.size == 0:
        return solved
    other, how, exact = solve(capped, time_limit)
    more = capped.added(other)
    closer = all(
        more[c] > 0 and distance(c, more) + tolerance * targets[c] < distance(c, added)
        for c in past
    )
    rest = [c for c in problem.gap_columns.tolist() if c not in past]
    if closer and _short(problem, more, rest) <= _short(problem, added, rest) + 1e-9:
        return capped, other, how, exact
    return solved


def _short(problem: RegimenProblem, added: np.ndarray, columns: list[int]) -> float:
    """The relative shortfall of the targets in `columns`."""
    if not columns:
        return 0.0
    cols = np.asarray(columns)
    missing = np.maximum(problem.gaps[cols] - added[cols], 0.0)
    return float((missing / problem.targets[cols]).sum())
