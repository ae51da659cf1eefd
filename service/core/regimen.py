"""One daily combination of products for a profile (POST /v1/regimens): the answer.

The program is in regimen_problem.py, its solvers in regimen_solve.py, the texts in
regimen_texts.py; the basket suggestion of the intake check is in intake_check.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from .amounts import rounded
from .profile import Profile, labelled_lines
from .ranking import Evaluation, evaluate, profile_notices
from .regimen_problem import (
    DEFAULT_MAX_PRODUCTS,
    RegimenProblem,
    candidate_mask,
    catalog_arrays,
    headroom,
    regimen_problem,
    slack,
)
from .regimen_solve import solve
from .regimen_texts import TextWriter
from .snapshot import Snapshot
from .vocabulary import DEFAULT_LOCALE


# ---------------------------------------------------------------- the regimen answer
def formulate_regimen(
    snapshot: Snapshot, request: dict, today: dt.date, *, time_limit: float = 0.5
) -> dict:
    """The contract's regimen answer for an already validated request body."""
    profile = Profile.from_dict(request["profile"])
    locale = request.get("locale") or DEFAULT_LOCALE
    max_products = int(request.get("max_products") or DEFAULT_MAX_PRODUCTS)
    budget = request.get("budget_per_month")
    budget = None if budget is None else float(budget)
    ev = evaluate(snapshot, profile, labelled_lines(profile), today, request.get("jurisdiction"))
    write = TextWriter(snapshot.reference, locale)
    notices = profile_notices(ev, locale)
    problem = regimen_problem(ev, max_products, budget)
    servings = np.zeros(problem.size, dtype=np.int64)
    solver, optimal = "none", True
    has_target = np.nan_to_num(ev.targets) > 0
    if ev.over_limit_now:
        notices.append(_notice("regimen_infeasible", write))
    elif not has_target.any():
        notices.append(_notice("no_targets", write))
    elif not problem.gaps.any():
        notices.append(_notice("targets_met", write))
    elif problem.size == 0:
        notices.append(_notice("regimen_infeasible", write))
    else:
        servings, solver, optimal = solve(problem, time_limit)
        if not servings.any():
            notices.append(_notice("regimen_infeasible", write))
        if solver == "greedy":
            notices.append(_notice("regimen_greedy", write))
    chosen = {int(problem.products[i]): int(s) for i, s in enumerate(servings) if s > 0}
    added = problem.added(servings) if problem.size else np.zeros(len(ev.intake))
    targets = _targets_view(ev, problem, chosen, added, write, budget)
    if any(not t["achieved"] for t in targets.values()) and chosen:
        notices.append(_notice("regimen_partial", write))
    lines = _lines_view(ev, problem, servings, write)
    cost = sum(float(problem.cost_per_serving[i]) * int(s) for i, s in enumerate(servings))
    keys = snapshot.reference.nutrients.keys
    return {
        "lines": lines,
        "totals": {k: rounded(ev.intake[c] + added[c]) for c, k in enumerate(keys)},
        "targets": targets,
        "cost_per_month": round(float(cost), 2),
        "currency": _currency(ev),
        "pills_per_day": int(servings.sum()),
        "notices": notices,
        "warnings": _regimen_warnings(ev, chosen, added, locale),
        "solver": solver,
        "optimal": optimal,
        "max_products": max_products,
        "budget_per_month": budget,
        "versions": snapshot.versions,
    }


def _currency(ev: Evaluation) -> str:
    products = ev.snapshot.catalog.products
    return products[0].currency if products else "EUR"


def _notice(code: str, write: TextWriter) -> dict[str, str]:
    return {"code": code, "text": write(f"notice_{code}")}


def _lines_view(
    ev: Evaluation, problem: RegimenProblem, servings: np.ndarray, write: TextWriter
) -> list[dict[str, Any]]:
    catalog = ev.snapshot.catalog
    keys = catalog.nutrient_keys
    baseline = float(problem.shortfall(np.zeros(len(keys))))
    rows = []
    for i in np.flatnonzero(servings):
        amounts = problem.per_serving[i] * servings[i]
        product = catalog.products[int(problem.products[i])]
        gain = baseline - float(problem.shortfall(amounts))
        rows.append((-gain, product.sku, i, amounts, product))
    lines = []
    for _, sku, i, amounts, product in sorted(rows, key=lambda r: (r[0], r[1])):
        lines.append(
            {
                "sku": sku,
                "name": product.name[write.locale],
                "servings_per_day": int(servings[i]),
                "labelled_servings_per_day": product.servings_per_day,
                "category": product.category,
                "form": product.form,
                "nutrients_per_day": {
                    k: rounded(amounts[c]) for c, k in enumerate(keys) if amounts[c] > 0
                },
                "cost_per_month": round(float(problem.cost_per_serving[i] * servings[i]), 2),
                "role": _role(problem, amounts, write),
            }
        )
    return lines


def _role(problem: RegimenProblem, amounts: np.ndarray, write: TextWriter) -> str:
    keys = write.reference.nutrients.keys
    serves = [c for c in problem.gap_columns if amounts[c] > 0]
    extra = [c for c in np.flatnonzero(amounts > 0) if problem.gaps[c] <= 0]
    text = write("role", parts=", ".join(write.amount(keys[c], amounts[c]) for c in serves))
    if extra:
        parts = ", ".join(write.amount(keys[c], amounts[c]) for c in extra)
        text += " " + write("role_extra", parts=parts)
    return text


def _targets_view(
    ev: Evaluation,
    problem: RegimenProblem,
    chosen: dict[int, int],
    added: np.ndarray,
    write: TextWriter,
    budget: float | None,
) -> dict[str, dict[str, Any]]:
    keys = ev.snapshot.reference.nutrients.keys
    out = {}
    for column in np.flatnonzero(np.nan_to_num(ev.targets) > 0):
        key = keys[column]
        target = float(ev.targets[column])
        amount = float(ev.intake[column] + added[column])
        achieved = amount >= target - float(slack(np.array([target]))[0])
        values = {
            "amount": rounded(amount),
            "target": rounded(target),
            "unit": write.unit(key),
            "nutrient": write.name(key),
        }
        if problem.gaps[column] <= 0:
            why = write("target_met_already", **values)
        elif achieved:
            why = write("target_met", **values)
        else:
            why = _why_missed(ev, problem, chosen, added, int(column), write, budget, values)
        out[key] = {
            "target": rounded(target),
            "achieved": bool(achieved),
            "amount": rounded(amount),
            "why": why,
            "source": ev.target_ids.get(key),
        }
    return out


def _why_missed(
    ev: Evaluation,
    problem: RegimenProblem,
    chosen: dict[int, int],
    added: np.ndarray,
    column: int,
    write: TextWriter,
    budget: float | None,
    values: dict[str, Any],
) -> str:
    """Why one more serving of any product with this nutrient is not in the regimen.

    Each product that carries it and is not at its labelled dose yet is blocked by a limit, the
    budget or max_products (or by nothing: then only the trade-off between targets explains it).
    The text names what blocks the most of them (limit, then budget, then max_products on ties)."""
    arrays = catalog_arrays(ev.snapshot.catalog)
    keys = write.reference.nutrients.keys
    carriers = np.flatnonzero(candidate_mask(ev) & (arrays.per_serving[:, column] > 0))
    if carriers.size == 0:
        return write("target_missed_no_product", **values)
    room = problem.headroom - added
    cost = sum(float(arrays.cost_per_serving[i]) * s for i, s in chosen.items())
    carriers = np.array([i for i in carriers if chosen.get(int(i), 0) < arrays.labelled[i]])
    if carriers.size == 0:
        return write("target_missed_partly", **values)
    limit_hits: dict[int, int] = {}
    blocked: dict[str, set[int]] = {"limit": set(), "budget": set(), "count": set()}
    for index in carriers.tolist():
        over = np.flatnonzero(arrays.per_serving[index] > room)
        for k in over.tolist():
            limit_hits[k] = limit_hits.get(k, 0) + 1
        if over.size:
            blocked["limit"].add(index)
        if budget is not None and cost + arrays.cost_per_serving[index] > budget + 1e-9:
            blocked["budget"].add(index)
        if index not in chosen and len(chosen) >= problem.max_products:
            blocked["count"].add(index)
    if set(carriers.tolist()) - set().union(*blocked.values()):
        return write("target_missed_partly", **values)
    reason = max(blocked, key=lambda r: len(blocked[r]))  # first in this order on a tie
    if reason == "limit":
        limit = max(limit_hits, key=lambda k: (limit_hits[k], -k))
        capped = _offer_cap_text(ev, problem, added, limit, write, values)
        if capped is not None:
            return capped
        return write(
            "target_missed_upper_limit",
            **values,
            limit_nutrient=write.name(keys[limit]),
            upper_limit=rounded(ev.limits[limit]),
            limit_unit=write.unit(keys[limit]),
        )
    if reason == "budget":
        amount = f"{budget:.2f}"
        return write("target_missed_budget", **values, budget=amount, currency=_currency(ev))
    return write("target_missed_max_products", **values, max_products=problem.max_products)


def _offer_cap_text(
    ev: Evaluation,
    problem: RegimenProblem,
    added: np.ndarray,
    column: int,
    write: TextWriter,
    values: dict[str, Any],
) -> str | None:
    """The text when what binds is not the upper limit but an offer cap (offer_caps): the
    pregnancy cap, or the advice band for the whole regimen."""
    caps = problem.offer_caps
    if caps is None or not np.isfinite(caps[column]):
        return None
    limit_room = headroom(ev.safety.room, ev.intake)[column]
    if caps[column] >= limit_room:
        return None  # the upper limit binds first: its own text
    keys = write.reference.nutrients.keys
    stage = ev.snapshot.reference.market_maxima.life_stages.get(ev.profile.life_stage, {})
    key = (
        "target_missed_life_stage_cap"
        if stage.get(keys[column]) is not None and float(stage[keys[column]]) <= caps[column]
        else "target_missed_dose_band"
    )
    return write(
        key,
        **values,
        cap=rounded(caps[column]),
        cap_unit=write.unit(keys[column]),
        cap_nutrient=write.name(keys[column]),
    )


def _regimen_warnings(
    ev: Evaluation, chosen: dict[int, int], added: np.ndarray, locale: str
) -> list[dict[str, Any]]:
    """Medication interactions for products in the regimen, `together` combinations across the
    regimen and current supplements, and totals near an upper limit."""
    reference, catalog = ev.snapshot.reference, ev.snapshot.catalog
    keys = reference.nutrients.keys
    arrays = catalog_arrays(catalog)
    regimen = [
        (catalog.products[i].sku, arrays.per_serving[i] * s, True) for i, s in chosen.items()
    ]
    current = [(r.name, r.amounts, False) for r in ev.resolved]
    warnings = []
    for interaction in ev.safety.triggered:
        thresholds = {**interaction.exclude, **interaction.warn}
        skus = [
            sku
            for sku, amounts, _ in regimen
            if any(amounts[keys.index(n)] > t for n, t in thresholds.items())
        ]
        if skus:
            warnings.append(
                _warning(f"interaction:{interaction.id}", interaction.text[locale], skus)
            )
    lines = regimen + current
    for interaction in reference.interactions:
        if interaction.together is None:
            continue
        group_a, group_b = ([keys.index(n) for n in g] for g in interaction.together)
        with_a = [i for i, line in enumerate(lines) if (line[1][group_a] > 0).any()]
        with_b = [i for i, line in enumerate(lines) if (line[1][group_b] > 0).any()]
        pairs = [(a, b) for a in with_a for b in with_b if a != b and (lines[a][2] or lines[b][2])]
        if pairs:
            names = sorted({lines[i][0] for pair in pairs for i in pair})
            warnings.append(
                _warning(f"interaction:{interaction.id}", interaction.text[locale], names)
            )
    totals = ev.intake + added
    fraction = reference.warn_at_upper_limit_fraction
    for column, key in enumerate(keys):
        limit = ev.limits[column]
        if np.isnan(limit) or added[column] <= 0 or totals[column] < fraction * limit:
            continue
        text = reference.text(
            "warning_near_upper_limit",
            locale,
            **reference.nutrients.text_values(
                key, locale, amount=totals[column], upper_limit=limit
            ),
        )
        skus = [sku for sku, amounts, _ in regimen if amounts[column] > 0]
        warnings.append(_warning(f"near_upper_limit:{key}", text, skus))
    return [w for w in warnings if reference.forbidden_match(w["text"]) is None]


def _warning(code: str, text: str, skus: list[str]) -> dict[str, Any]:
    return {"code": code, "text": text, "skus": skus}
