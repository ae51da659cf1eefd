"""The intake warnings of /refills beside what its answer names (refills.render): "we suggest
no more <nutrient>" is not said beside a product the same answer names that gives it, without
saying what that product is (review s29a F3, s29b F4)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from ..advice_texts import warning_beside_instead
from ..amounts import above
from ..ranking import Evaluation
from .settings import RefillConfig

if TYPE_CHECKING:
    from .plan import RefillPlan


def beside_reorder(
    ev: Evaluation,
    notices: list[dict[str, str]],
    named: list[tuple[int, int]],
    plan: RefillPlan,
    config: RefillConfig,
    locale: str,
) -> list[dict[str, str]]:
    """`notices` (of what is taken now, `ev`) beside the lower doses `named` in place of a
    product (pairs of the product replaced and its replacement: an entry's `instead`, a
    reorder's replacement) and the reorder's items, where what they say holds on each day an
    item starts (`within_then`)."""
    reordered = [d for d in plan.decisions if d.action != "stop" and d.index is not None]
    named += [
        (d.supply.index, d.index)
        for d in reordered
        if d.action == "replace" and d.index is not None and within_then(ev, plan, [d])
    ]
    notices, used = _beside_instead(ev, notices, named, locale)
    return _beside_more(ev, notices, plan, reordered, used, config, locale)


def within_then(
    ev: Evaluation, plan: RefillPlan, items: list[Any], skip: frozenset[str] = frozenset()
) -> bool:
    """Review s30b F1: on the day each of `items` (decisions of the reorder) starts, every
    nutrient an `intake_warning` of `ev` (what is taken now) names is within that warning's
    maximum, with every line of `ev` still taken then (a supply until it runs out, or until the
    reorder product it stops for starts; a current supplement or a basket line always: a
    lasting D3 + K2 that no longer fits a child of 12 too, which the plan's own check of the
    dose band leaves out as no source) and the reorder's items started by then. The plan checks
    a product that no longer fits as no source of the band, so what it proposes is not always
    within it beside such a product: then the notices do not say so. `skip`: SKUs of lines
    counted as stopped (products that no longer fit, which the answer says to stop)."""
    catalog = ev.snapshot.catalog
    per_day = catalog.nutrients_per_day
    ends = supply_ends(plan)
    starts = [
        (max(plan.today, d.supply.runs_out_on), d)
        for d in plan.decisions
        if d.action != "stop" and d.index is not None
    ]
    for column, found in ev.offer.failing.items():
        if found.kind not in CONTINUED_KINDS or not found.maximum:
            continue
        for d in items:
            if per_day[d.index, column] <= 0:
                continue
            start = max(plan.today, d.supply.runs_out_on)
            total = sum(
                float(line.amounts[column])
                for line in ev.resolved
                if line.sku not in skip
                and (not line.sku or ends.get(line.sku) is None or ends[line.sku] > start)
            )
            for begun, other in starts:
                if begun <= start:
                    total += float(per_day[other.index, column]) * _servings(catalog, other)
            if above(total, float(found.maximum)):
                return False
    return True


def supply_ends(plan: RefillPlan) -> dict[str, dt.date]:
    """SKU -> the day each supply listed ends: when it runs out, or, for a lasting supply
    the plan stops for a product of the reorder, when that one starts (session 18 review F1);
    a declared one stopped has no end of its own but that."""
    ends = {s.sku: s.runs_out_on for s in plan.listed}
    for sku, continued in plan.stopped.items():
        ends[sku] = min(ends.get(sku, ends[continued]), ends[continued])
    return ends


def _servings(catalog: Any, decision: Any) -> float:
    """A reorder's servings a day as its label's share (the customer's own), a replacement's 1."""
    if decision.action != "reorder":
        return 1.0
    label = catalog.products[decision.index].servings_per_day
    return float(decision.supply.servings_per_day) / float(label)


def _beside_instead(
    ev: Evaluation,
    notices: list[dict[str, str]],
    named: list[tuple[int, int]],
    locale: str,
) -> tuple[list[dict[str, str]], dict[str, int]]:
    """`notices` with each `intake_warning:<nutrient>` that names a product replaced by one
    that gives the nutrient (an entry's `instead`, a reorder's replacement: `named`, pairs of
    the product replaced and its replacement) worded as the list words it beside its notice
    `instead:<SKU>` (advice_texts.warning_beside_instead: "below we name a lower dose to take
    in place of ..., and beside it we suggest no more vitamin D"; review s29a F3: /refills
    kept "we suggest no more vitamin D" beside its own `instead` of a 10 µg D3; review s29b
    F4: and beside its reorder's 20 µg D3 in place of a 75 µg one running out). A lower dose
    it is: the plan checked each one on every day it would be taken, with what is still
    taken then (plan.plan_refills, refills.why.exclusions: the dose band, the maxima). With
    the notices, the replacement each adapted one names, by its code."""
    from .replace import many_roles

    catalog = ev.snapshot.catalog
    # the products one replacement is named for, together, a multivitamin first: "in place of
    # the women's multivitamin and the 50 µg D3", as the list's notice names them (s36a F1)
    by_other: dict[int, list[int]] = {}
    for replaced, other in named:
        if replaced not in by_other.setdefault(other, []):
            by_other[other].append(replaced)
    for group in by_other.values():
        group.sort(key=lambda i: not many_roles(ev, i))
    out, used = [], {}
    for notice in notices:
        notice = above_limit_beside(ev, notice, named, locale)
        for other, instead_of in by_other.items():
            if notice["code"].startswith("intake_warning:") and any(
                catalog.products[i].name[locale] in notice["text"] for i in instead_of
            ):
                adapted = warning_beside_instead(ev, notice, tuple(instead_of), (other,), locale)
                if adapted != notice:  # one lower dose named is what the text can say
                    notice, used[notice["code"]] = adapted, other
                    break
        out.append(notice)
    return out, used


def above_limit_beside(
    ev: Evaluation, notice: dict[str, str], named: list[tuple[int, int]], locale: str
) -> dict[str, str]:
    """`above_upper_limit:<nutrient>` ("we suggest nothing that adds vitamin D until that is
    adjusted") beside a product named in place of one that makes it and gives that nutrient
    too: "Below we name what to take in place of ...; with it you stay within that limit", as
    the list says beside its `instead:` (review s35d F3: a pregnant woman's 100 µg D3 replaced
    by a 10 µg D3 as it runs out). True: the plan judged it on the day without what it
    replaces (its own excess: refills.why.held_whys)."""
    if not notice["code"].startswith("above_upper_limit:"):
        return notice
    catalog, reference = ev.snapshot.catalog, ev.snapshot.reference
    column = reference.nutrients.keys.index(notice["code"].split(":", 1)[1])
    per_day = catalog.nutrients_per_day
    names = list(
        dict.fromkeys(
            catalog.products[replaced].name[locale]
            for replaced, other in named
            if per_day[replaced, column] > 0 and per_day[other, column] > 0
        )
    )
    if not names:
        return notice
    more = reference.text(
        "notice_above_upper_limit_instead", locale, name=reference.listed(names, locale)
    )
    return {**notice, "text": notice["text"] + " " + more}


# an intake warning whose nutrient the reorder may still give within its maximum
CONTINUED_KINDS = frozenset({"dose_band", "life_stage_maximum"})


def _beside_more(
    ev: Evaluation,
    notices: list[dict[str, str]],
    plan: RefillPlan,
    reordered: list[Any],
    used: dict[str, int],
    config: RefillConfig,
    locale: str,
) -> list[dict[str, str]]:
    """Review s29b F4: an `intake_warning:<nutrient>` that says "we suggest no more
    <nutrient>" beside a reorder item that gives it, other than the lower dose it names
    (`used`, _beside_instead; a 20 µg D3 reordered as it runs out beside a D3 + K2 left out:
    55 µg a day now, against at most 50), says that the reorder is in place of what runs out
    and stays within that amount with what is still taken then, where it does on the day
    each item starts (`within_then`; review s30b F1: not beside a D3 + K2 that lasts for
    months and no longer fits a child, 45 µg a day against at most 37.5). Not of an upper
    limit or an interaction: a reorder that gives such a nutrient is held or left out, and
    the notice stands as it is."""
    reference, catalog = ev.snapshot.reference, ev.snapshot.catalog
    keys = reference.nutrients.keys
    out = []
    for notice in notices:
        kind, _, key = notice["code"].partition(":")
        found = ev.offer.failing.get(keys.index(key)) if key in keys else None
        if (
            kind == "intake_warning"
            and found is not None
            and found.kind in CONTINUED_KINDS
            and (found.maximum or 0) > 0
            and any(
                catalog.nutrients_per_day[d.index, keys.index(key)] > 0
                for d in reordered
                if d.index != used.get(notice["code"])
            )
        ):
            text = reorder_text(ev, plan, reordered, keys.index(key), config, locale)
            notice = {**notice, "text": f"{notice['text']} {text}"} if text else notice
        out.append(notice)
    return out


def reorder_text(
    ev: Evaluation,
    plan: RefillPlan,
    reordered: list[Any],
    column: int,
    config: RefillConfig,
    locale: str,
) -> str:
    """`notice_warning_reorder` where the reorder stays within the warning's amount with all
    else taken; `notice_warning_reorder_unfit` where it does once the products taken that no
    longer fit and give the nutrient stop (the plan counts them as no source; the answer says
    they do not fit; review s30b F1: a D3 + K2 a child of 12 takes until March); else ""."""
    if within_then(ev, plan, reordered):
        return config.text("notice_warning_reorder", locale)
    from .why import no_longer_fits

    catalog = ev.snapshot.catalog
    unfit = sorted(
        {
            line.sku
            for line in ev.resolved
            if line.sku and line.amounts[column] > 0 and no_longer_fits(ev, line.sku)
        }
    )
    if not unfit or not within_then(ev, plan, reordered, frozenset(unfit)):
        return ""
    names = [catalog.products[catalog.index[sku]].name[locale] for sku in unfit]
    products = ev.snapshot.reference.listed(names, locale)
    return config.text("notice_warning_reorder_unfit", locale, products=products)


def stopped_unsuited(
    notices: list[dict[str, str]],
    plan: RefillPlan,
    proposed: set[str],
    config: RefillConfig,
    locale: str,
) -> list[dict[str, str]]:
    """`product_not_suited:<SKU>` of a supply the plan stops as not suited to the life stage
    when a product `proposed` starts (`Stopped.unsuited`) says that what is suggested is for
    once it is stopped: beside a 25 µg D3 reordered, "beside it we suggest no more vitamin D"
    of the women's multivitamin read as a contradiction (re-review s40a F2)."""
    unsuited = plan.stopped.unsuited
    if not unsuited:
        return notices
    going = {  # the supplies whose proposal is `proposed` (a replacement's, session 41)
        d.supply.sku
        for d in plan.decisions
        if d.index is not None and d.ev.snapshot.catalog.products[d.index].sku in proposed
    }
    out = []
    for notice in notices:
        kind, _, sku = notice["code"].partition(":")
        by = {plan.stopped.get(sku), *plan.stopped.also.get(sku, ())}
        if kind == "product_not_suited" and sku in unsuited and by & going:
            text = config.text("notice_stopped_unsuited", locale)
            notice = {**notice, "text": f"{notice['text']} {text}"}
        out.append(notice)
    return out
