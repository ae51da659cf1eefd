"""One daily combination of products for a profile (POST /v1/regimens): the answer.

The program is in regimen_problem.py, its solvers in regimen_solve.py, the texts in
regimen_texts.py; the basket suggestion of the intake check is in intake_check.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from .advice_extras import served_targets
from .advice_texts import doctor_dose_notices, intake_warning_notices
from .amounts import above, rounded
from .cautions import regimen_cautions
from .children import child_diet_notices, sourced_columns
from .day_totals import interaction_key, near_upper_limit
from .doctor_reach import doctor_short_reach, doctor_warned, no_product_on_top
from .failing import zero_stage_labels
from .intake import shown_name
from .line_notices import conflicting, interaction_taken, unsuited_taken, with_unsuited_lines
from .numbers import format_number
from .profile import Profile, labelled_lines
from .ranking import Evaluation, evaluate, profile_notices
from .regimen_instead import regimen_instead, with_instead
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
from .regimen_warnings import closest_past_warnings, held_below_warnings
from .safety import life_stage_maxima
from .serum_texts import deficient_column, serum_notices
from .snapshot import Snapshot
from .target_priority import priorities
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
    # review s5 S5: the list's warnings where what is taken fails a guarantee, never "enough"
    notices += intake_warning_notices(ev, locale)
    notices += serum_notices(ev, locale) + child_diet_notices(ev, locale)  # as lists (s31a F6)
    notices += doctor_dose_notices(ev, locale)  # one we may not supply, never aimed at (s7 P7)
    notices = with_unsuited_lines(ev, locale, notices)  # never "achieved" by one (review 10 M1)
    failing = _failing_taken(ev)
    instead = regimen_instead(ev, profile, request.get("jurisdiction"))  # as lists (s36a F2)
    problem = regimen_problem(ev, max_products, budget)
    servings = np.zeros(problem.size, dtype=np.int64)
    solver, optimal = "none", True
    has_target = np.nan_to_num(served_targets(ev)[0]) > 0
    if ev.over_limit_now:
        notices.append(_notice("regimen_infeasible", write))
    elif not has_target.any():
        notices.append(_notice("no_targets", write))
    elif not problem.gaps.any():
        notice = _notice("intake_needs_attention" if failing else "targets_met", write)
        if not failing and deficient_column(ev) is not None:  # review 23p #2: the doctor's
            notice["text"] = write("notice_targets_met_serum")  # first, not "nothing needed"
        notices.append(notice)
    elif problem.size == 0:
        notices += _infeasible(ev, problem, write)
    else:
        servings, solver, optimal = solve(problem, time_limit)
        solved = held_below_warnings(
            ev, problem, (servings, solver, optimal), max_products, budget, time_limit
        )
        solved = closest_past_warnings(ev, solved, max_products, budget, time_limit)
        problem, servings, solver, optimal = solved
        if not servings.any():
            notices += _infeasible(ev, problem, write)
        if solver == "greedy":
            notices.append(_notice("regimen_greedy", write))
    chosen = {int(problem.products[i]): int(s) for i, s in enumerate(servings) if s > 0}
    keys = snapshot.reference.nutrients.keys
    added = problem.added(servings) if problem.size else np.zeros(len(ev.intake))
    targets = _targets_view(ev, problem, chosen, added, write, budget, failing)
    # servings may meet a doctor's dose our products pass beside a warning of it (half a
    # calcium tablet): the list's "we suggest none of them" is not its answer (s21)
    met = {f"advice_unmet:{keys[c]}" for c in doctor_warned(ev) if added[c] > 0}
    notices = [n for n in notices if n["code"] not in met]
    # a target not reached (what is taken that fails a guarantee has its intake_warning; not
    # one whose own words say food gives part of it: the DGE's total, review s33c 3)
    by = ev.advice.authority if ev.advice else {}
    notes = {k: write.missed_note(by.get(keys.index(k))) for k in targets}
    if any(t["status"] == "missed" and not notes[k] for k, t in targets.items()) and chosen:
        notices.append(_notice("regimen_partial", write))
    lines = _lines_view(ev, problem, servings, write)
    notices = with_instead(ev, instead, notices, locale, bool(chosen))
    cost = sum(float(problem.cost_per_serving[i]) * int(s) for i, s in enumerate(servings))
    return {
        "lines": lines,
        "totals": {k: rounded(ev.intake[c] + added[c]) for c, k in enumerate(keys)},
        "targets": targets,
        "cost_per_month": round(float(cost), 2),
        "currency": next((p.currency for p in snapshot.catalog.products), "EUR"),
        "pills_per_day": int(servings.sum()),
        "notices": notices,
        "warnings": _regimen_warnings(ev, chosen, added, locale),
        "solver": solver,
        "optimal": optimal,
        "max_products": max_products,
        "budget_per_month": budget,
        "versions": snapshot.versions,
    }


def _notice(code: str, write: TextWriter) -> dict[str, str]:
    return {"code": code, "text": write(f"notice_{code}")}


def _failing_taken(ev: Evaluation) -> dict[int, list[int]]:
    """{nutrient column: the lines of `ev.resolved` that give it and do not suit the person}
    where what is taken fails a guarantee for the person (the list's
    `intake_warning:<nutrient>`, with no line named where the amount itself fails: above the
    life stage's maximum or the dose band): never achieved-and-fine (review s5 S5)."""
    failing = ev.offer.failing
    itself = {c for c, f in failing.items() if f.kind in ("life_stage_maximum", "dose_band")}
    out: dict[int, list[int]] = {c: [] for c in ev.offer.covered if c in failing}
    # review 10 M1: what a line gives that does not suit the person (diet, allergy, age, an
    # interaction) is not "already achieved"; nor a product unsuited in the life stage (the
    # A-Z multivitamin in pregnancy, review 17), nor a label line an interaction excludes
    labels = [i for i, x in enumerate(ev.resolved) if x.sku is None and conflicting(ev, x.amounts)]
    labels += zero_stage_labels(ev)  # typed-in retinol in pregnancy (review s44a F3)
    unsuited = {*unsuited_taken(ev), *interaction_taken(ev), *ev.offer.unsuitable_lines, *labels}
    for i in sorted(unsuited):
        for c in np.flatnonzero(ev.resolved[i].amounts > 0).tolist():
            lines = out.setdefault(int(c), [])
            if c not in itself:  # the amount itself fails: the nutrient's text
                lines.append(i)
    return out


def _fails_text(
    ev: Evaluation, column: int, lines: list[int], write: TextWriter, values: dict[str, Any]
) -> str:
    """Why a target fails a guarantee: what is taken gives an amount that fails it, or
    (`lines`) products taken that do not suit the person give some of it. Review 15 #6: the
    D3 + K2 drops beside a vitamin K antagonist and a doctor's vitamin D read "what you already
    take gives 45 µg of vitamin D" (the drops' 20 µg and the regimen's 25 µg) and blamed the
    vitamin D where the K2 is what does not suit."""
    if not lines:
        return write("target_fails_guarantee", **values, taken=rounded(ev.intake[column]))
    names = [shown_name(ev.resolved[i], ev.snapshot, write.locale) for i in lines]
    unsuited = sum(float(ev.resolved[i].amounts[column]) for i in lines)
    return write(
        "target_fails_guarantee_line",
        **values,
        unsuited=rounded(unsuited),
        products=write.listed(list(dict.fromkeys(names))),
    )


def _contraindicated(ev: Evaluation) -> set[int]:
    """Nutrient columns a triggered medication or condition excludes from every product."""
    keys = ev.snapshot.reference.nutrients.keys
    return {
        keys.index(n)
        for i in ev.safety.triggered
        for n, threshold in i.exclude.items()
        if threshold == 0
    }


def _infeasible(ev: Evaluation, problem: RegimenProblem, write: TextWriter) -> list[dict]:
    """`regimen_infeasible`; when a contraindication excludes every open target's nutrient, the
    text names them instead of the budget and the number of products (review s5 S5); none
    where the doctor's-dose notice says why no product is added to each (review 14)."""
    gaps = [int(c) for c in np.flatnonzero(problem.gaps > 0)]
    # the doctor's-dose notice, or a child's one product (its target says so; re-review 19c F7)
    if gaps and set(gaps) <= set(no_product_on_top(ev)) | set(sourced_columns(ev)):
        return []
    blocked = _contraindicated(ev)
    if gaps and all(c in blocked for c in gaps):
        keys = ev.snapshot.reference.nutrients.keys
        nutrients = write.listed(write.name(keys[c]) for c in gaps)
        key = interaction_key(ev, "notice_regimen_infeasible_contraindicated", gaps, write.texts)
        text = write(key, nutrients=nutrients)
        return [{"code": "regimen_infeasible", "text": text}]
    return [_notice("regimen_infeasible", write)]


def _lines_view(
    ev: Evaluation, problem: RegimenProblem, servings: np.ndarray, write: TextWriter
) -> list[dict[str, Any]]:
    catalog = ev.snapshot.catalog
    keys = catalog.nutrient_keys
    baseline = float(problem.shortfall(np.zeros(len(keys))))
    # review s10 U2: the columns whose target is our own aim (targets.yaml priorities `ours`)
    is_ours, ids = priorities(ev.snapshot.reference).is_ours, served_targets(ev)[1]
    ours = {c for c, key in enumerate(keys) if is_ours(ids.get(key))}
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
                "role": _role(problem, amounts, write, ours, product.vitamin_sources),
            }
        )
    return lines


def _role(
    problem: RegimenProblem,
    amounts: np.ndarray,
    write: TextWriter,
    ours: set[int],
    sources: dict[str, str],
) -> str:
    keys = write.reference.nutrients.keys
    serves = [c for c in problem.gap_columns if amounts[c] > 0]
    extra = [c for c in np.flatnonzero(amounts > 0) if problem.gaps[c] <= 0]
    key = "role_ours" if serves and all(c in ours for c in serves) else "role"
    text = write(
        key, parts=write.listed(write.amount(keys[c], amounts[c], sources) for c in serves)
    )
    if extra:
        parts = write.listed(write.amount(keys[c], amounts[c], sources) for c in extra)
        text += " " + write("role_extra", parts=parts)
    return text


def _targets_view(
    ev: Evaluation,
    problem: RegimenProblem,
    chosen: dict[int, int],
    added: np.ndarray,
    write: TextWriter,
    budget: float | None,
    failing: dict[int, list[int]],
) -> dict[str, dict[str, Any]]:
    keys = ev.snapshot.reference.nutrients.keys
    targets, target_ids = served_targets(ev)
    ours = priorities(ev.snapshot.reference).is_ours
    authority = ev.advice.authority if ev.advice else {}
    within = ev.offer.enough_share
    out = {}
    for column in np.flatnonzero(np.nan_to_num(targets) > 0):
        key = keys[column]
        target = float(targets[column])
        amount = float(ev.intake[column] + added[column])
        # enough within lists.covered.within below the target (advice.py enough_taken), as
        # the regimen aims (regimen_problem.target_gaps); "close to" it where below it
        below = amount < target - float(slack(np.array([target]))[0])
        achieved = amount >= target * (1 - within[column]) if below else True
        close = "_close" if below else ""
        values = {
            "amount": rounded(amount),
            "target": rounded(target),
            "unit": write.unit(key),
            # review s29a F7: as the lines taken and the regimen's give it (a methylfolate's
            # folate by its form's name)
            "nutrient": write.given(key, _sources_giving(ev, chosen, int(column))),
            "advised": write.advised(authority.get(int(column)), ours(target_ids.get(key))),
        }
        status = "achieved" if achieved else "missed"
        if column in failing:
            status = "fails_guarantee"
            why = _fails_text(ev, int(column), failing[int(column)], write, values)
        elif problem.gaps[column] <= 0:
            why = write("target_met_already" + close, **values)
        elif achieved:
            # review 8b R10: nothing taken of it, so the regimen alone gives the amount
            taken = ev.intake[column] > 0
            why = write(("target_met" if taken else "target_met_regimen_only") + close, **values)
        else:
            why = _why_missed(ev, problem, chosen, added, int(column), write, budget, values)
            why += write.missed_note(authority.get(int(column)))  # review s33c 3
        out[key] = {
            "target": rounded(target),
            # review 8b R5: achieved only where the status says so; an amount that fails a
            # guarantee (fails_guarantee) is never achieved, however much it is
            "achieved": status == "achieved",
            "status": status,
            "amount": rounded(amount),
            "why": why,
            "source": target_ids.get(key),
        }
    return out


def _sources_giving(ev: Evaluation, chosen: dict[int, int], column: int) -> list[dict[str, str]]:
    """The `vitamin_sources` of what gives `column` a day: the lines taken or in the basket
    ({} for a line without a SKU) and the regimen's products."""
    catalog = ev.snapshot.catalog
    out = [
        catalog.products[catalog.index[line.sku]].vitamin_sources if line.sku else {}
        for line in ev.resolved
        if line.amounts[column] > 0
    ]
    out += [
        catalog.products[i].vitamin_sources
        for i in sorted(chosen)
        if catalog.nutrients_per_day[i, column] > 0
    ]
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
        if column in _contraindicated(ev):
            key = interaction_key(ev, "target_missed_contraindicated", [column], write.texts)
            return write(key, **values)
        if column in sourced_columns(ev):  # a child's one product of it is taken (session 19)
            return write("target_missed_one_source", **values)
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
    if reason == "budget" and budget is not None:  # only a budget blocks for "budget"
        amount = format_number(budget, write.locale, decimals=2)
        return write(
            "target_missed_budget",
            **values,
            budget=amount,
            currency=ev.snapshot.catalog.products[0].currency,
        )
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
    past = problem.advice_caps.get(column)
    if past is not None and caps[column] <= problem.targets[column] - ev.intake[column] + 1e-9:
        return write(  # the dose closest to an advice above a medicine's threshold (session 18)
            "target_missed_past_warning" if past > 0 else "target_missed_past_warning_any",
            **values,
            threshold=rounded(past),
            cap_unit=write.unit(keys[column]),
        )
    threshold = problem.warning_caps.get(column)
    if threshold is not None and caps[column] <= threshold - ev.intake[column] + 1e-9:
        return write(  # a medicine's warning threshold (review 21)
            "target_missed_warning",
            **values,
            threshold=rounded(threshold),
            cap_unit=write.unit(keys[column]),
            cap_nutrient=write.name(keys[column]),
        )
    stage = life_stage_maxima(ev.snapshot.reference, ev.profile)
    reach = doctor_short_reach(ev).get(column)
    if reach is not None and reach[1] <= caps[column]:
        key = "target_missed_doctor_reach"
    elif stage.get(keys[column]) is not None and float(stage[keys[column]]) <= caps[column]:
        key = "target_missed_life_stage_cap"
    else:
        key = "target_missed_dose_band"
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
    regimen and current supplements, totals near an upper limit, the list's cautions."""
    reference, catalog = ev.snapshot.reference, ev.snapshot.catalog
    keys = reference.nutrients.keys
    arrays = catalog_arrays(catalog)
    regimen = [
        (catalog.products[i].sku, arrays.per_serving[i] * s, True) for i, s in chosen.items()
    ]
    current = [(r.name, r.amounts, False) for r in ev.resolved]
    warnings = []
    totals = ev.intake + added
    for interaction in ev.safety.triggered:
        # a daily threshold is for the day's total: what is taken + the regimen (review s5 S1);
        # named: the regimen's products that add the nutrient, then the lines already taken
        thresholds = {**interaction.exclude, **interaction.warn}
        over = {keys.index(n): t for n, t in thresholds.items() if above(totals[keys.index(n)], t)}
        skus = [sku for sku, amounts, _ in regimen if (amounts[list(over)] > 0).any()]
        if skus:
            daily = [c for c, t in over.items() if t > 0]
            taken = [name for name, amounts, _ in current if (amounts[daily] > 0).any()]
            names = list(dict.fromkeys(skus + taken))
            warnings.append(
                _warning(f"interaction:{interaction.id}", interaction.text[locale], names)
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
    for column, text in near_upper_limit(ev, totals, added > 0, locale):
        skus = [sku for sku, amounts, _ in regimen if amounts[column] > 0]
        warnings.append(_warning(f"near_upper_limit:{keys[column]}", text, skus))
    warnings += regimen_cautions(ev, regimen, locale)
    return [w for w in warnings if reference.forbidden_match(w["text"]) is None]


def _warning(code: str, text: str, skus: list[str]) -> dict[str, Any]:
    return {"code": code, "text": text, "skus": skus}
