"""The intake check's one product to add for a missed target (split from intake_check.py): the
regimen with one product, solved by enumeration over the list's candidates for the same basket,
the gaps closed tier by tier as the regimen does (targets.yaml `priorities`), then the dose that
fits, the risk-group rules and cost; with the warnings a list item with it would carry."""

from __future__ import annotations

from typing import Any

import numpy as np

from .advice_config import advice_config
from .amounts import above, rounded
from .day_totals import (
    advice_within_warning,
    caution_warnings,
    combination_warnings,
    item_interaction_warnings,
    near_upper_limit,
)
from .ranking import Evaluation, list_candidates
from .regimen_problem import regimen_problem
from .regimen_texts import TextWriter
from .target_priority import advised_word


def _closest_dose(
    ev: Evaluation,
    problem: Any,
    added: np.ndarray,
    closest: np.ndarray,
    value: np.ndarray,
    best: int,
    offsets: np.ndarray,
) -> int:
    """The dose that fits, as a list shows it (rank_order._closest_dose, scoring.yaml `dose_fit`):
    of the closest options of `best`'s role and dose_fit nutrients, one past the gap less by more
    than `order_tolerance` of the advice wins over a risk-group rule's weight (review 8b R8)."""
    tolerance = advice_config(ev.snapshot.reference).fit_order_tolerance
    if problem.fit is None or tolerance is None:
        return best
    columns = np.flatnonzero(problem.fit)
    columns = columns[problem.gaps[columns] > 0]
    gives = added[:, columns] > 0
    if not gives[best].any():
        return best
    past = (
        np.maximum(added[:, columns] - problem.gaps[columns], 0.0) / problem.targets[columns]
    ).sum(axis=1)
    # one role, as the list compares (a vitamin D product with a vitamin D product, not with a
    # calcium + D3 tablet: rank_order._fit_distance)
    role = ev.offer.role_table.category_role[problem.products[offsets]]
    same = closest & (role == role[best]) & (gives == gives[best]).all(axis=1)
    closer = same & (past < past[best] - tolerance)
    if not closer.any():
        return best
    least = closer & (past <= past[closer].min() + 1e-9)
    return int(np.argmin(np.where(least, value, np.inf)))


def add_for_target(ev: Evaluation, write: TextWriter) -> dict | None:
    """The regimen with one product, solved by enumeration: most of the gap, then lowest cost."""
    problem = regimen_problem(ev, 1, None)
    if problem.size == 0:
        return None
    offsets = np.repeat(np.arange(problem.size), problem.max_servings)
    servings = np.concatenate([np.arange(1, m + 1) for m in problem.max_servings])
    # only what the list for the same basket offers (review 12 F4: a sport multivitamin at one
    # of its two servings as a vitamin D top-up, past what the doctor's-dose notice beside it
    # said our products reach); at the servings that fit
    listed = list_candidates(ev)[problem.products[offsets]]
    offsets, servings = offsets[listed], servings[listed]
    if not offsets.size:
        return None
    added = problem.per_serving[offsets] * servings[:, None]
    weights = problem.weights
    shortfall = problem.shortfall(added)
    # then the dose that fits (regimen_problem.py stage 2, R8): among the closest, the least past
    # the advice, then the cheapest
    misfit = shortfall + problem.overshoot_weight * problem.overshoot(added)
    value = weights.shortfall * misfit + (problem.cost_cents[offsets] + weights.pill) * servings
    # the options that close as much of the gaps, tier by tier as the regimen solves them
    # (targets.yaml `priorities`; session 19 review F1: not a vegan multivitamin's 200 of the
    # advised 400 µg folic acid in pregnancy, for our own iodine aim, before the folic acid + D3
    # tablet); one past a medicine's warning threshold that the advice stays within counts
    # `dose_fit.past_warning` short in the first tier, as the list orders it (review 21 F3: a
    # thiazide user taking 5 µg was told to add 20 µg where the list shows the 10 µg tablet
    # first); among them the one the risk-group rules weigh most for this profile (review s5
    # S7: in pregnancy folic acid before iodine), then cost
    closest = _closest_by_tier(problem.tier_shortfalls(added), _past_warning(ev, added))
    boost = np.where(closest, ev.rule_weight[problem.products[offsets]], -np.inf)
    best = int(np.argmin(np.where(boost == boost.max(), value, np.inf)))
    best = _closest_dose(ev, problem, added, closest, value, best, offsets)
    index, count = int(offsets[best]), int(servings[best])
    product = ev.snapshot.catalog.products[int(problem.products[index])]
    keys = write.reference.nutrients.keys
    totals = ev.intake + added[best]
    parts = write.listed(
        write(
            # past the advice: "25 µg in all, at or above the advised 20" (review 8b R8)
            "target_part_met" if totals[c] > problem.targets[c] * (1 + 1e-9) else "target_part",
            amount=rounded(totals[c]),
            target=rounded(problem.targets[c]),
            unit=write.unit(keys[c]),
            nutrient=write.name(keys[c]),
            advised=advised_word(ev, keys[c], write),
        )
        for c in problem.gap_columns
        if added[best][c] > 0
    )
    text = write("suggestion_add", name=product.name[write.locale], servings=count, parts=parts)
    suggestion = {"code": "add", "sku": product.sku, "servings_per_day": count, "text": text}
    # what a list item with this product would be warned of, said with the suggestion (review
    # 21 F3: 25 µg vitamin D for a thiazide user, "within every safe upper limit", no warning)
    catalog_index = int(problem.products[index])
    warnings = item_interaction_warnings(ev, catalog_index, write.locale, added[best])
    warnings += combination_warnings(ev, catalog_index, write.locale)
    warnings += caution_warnings(ev, catalog_index, write.locale)  # review s44a F1
    near = near_upper_limit(ev, totals, added[best] > 0, write.locale)  # review 23 F3
    warnings += [{"code": f"near_upper_limit:{keys[c]}", "text": text} for c, text in near]
    if warnings:
        suggestion["warnings"] = warnings
        suggestion["text"] = " ".join([text, *dict.fromkeys(w["text"] for w in warnings)])
    return suggestion


def _closest_by_tier(tiers: np.ndarray, warned: Any) -> np.ndarray:
    """The options (rows) with the least shortfall of the first tier (plus `warned`), among
    those the least of the next tier, and so on."""
    parts = np.zeros((len(tiers), 1)) if tiers.shape[1] == 0 else tiers.astype(float)
    parts[:, 0] += warned
    keep = np.ones(len(tiers), dtype=bool)
    for part in parts.T:
        keep &= part <= part[keep].min() + 1e-9
    return keep


def _past_warning(ev: Evaluation, added: np.ndarray) -> Any:
    """Per option (rows of `added`): `dose_fit.past_warning` where it takes the day's total of
    a nutrient past a medicine's warning threshold that the advice stays within, else 0."""
    past = advice_config(ev.snapshot.reference).fit_past_warning
    within = advice_within_warning(ev) if past else {}
    warned = np.zeros(len(added), dtype=bool)
    for column, threshold in within.items():
        warned |= (added[:, column] > 0) & above(ev.intake[column] + added[:, column], threshold)
    return past * warned
