"""The refills answer: the calendar of supplies and the reorder, with reasons and why, in a
locale."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from ..advice_texts import intake_warning_notices
from ..amounts import rounded
from ..day_totals import interaction_key, near_upper_limit
from ..instead import instead_notice, taken_instead
from ..instead_switch import switch_reason
from ..ranking import Evaluation, item_warnings, profile_notices
from ..reason_texts import item_reasons
from ..reference import Reference
from ..requests import RecommendationRequest
from ..serum_texts import serum_notices
from ..snapshot import Snapshot
from .beside import beside_reorder, stopped_unsuited
from .plan import RefillPlan, once
from .settings import RefillConfig
from .short import short_of_advice
from .stop_texts import shared, stop_reasons
from .supplies import Supply
from .why import LIFE_STAGE_CODES, UPPER_LIMIT_CODES
from .why_texts import nutrient_names, why_texts, why_words


# ---------------------------------------------------------------- rendering
def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def supply_view(snapshot: Snapshot, supply: Supply, today: dt.date, locale: str) -> dict:
    product = snapshot.catalog.products[supply.index]
    return {
        "sku": supply.sku,
        "name": product.name[locale],
        "pack_size": product.pack_size,
        "servings_per_day": _number(supply.servings_per_day),
        "packs": supply.packs,
        "purchases": supply.purchases,
        "first_purchase": supply.first_purchase.isoformat(),
        "last_purchase": supply.last_purchase.isoformat(),
        "runs_out_on": supply.runs_out_on.isoformat(),
        "days_left": (supply.runs_out_on - today).days,
    }


# why codes of a product that still fits the profile but cannot be supplied
STOCK_CODES = frozenset({"out_of_stock"})


def replaces_key(why: list[str]) -> str:
    """The reason of a replacement: `reason_replaces_stock` where the product bought is only
    out of stock ("which no longer fits your profile" made a vegan stop her doctor's dose of
    a capsule that was out of stock, re-review 22b M5), `reason_replaces_beside` where it
    fails only together with what is taken besides it (re-review s40a F7: a pregnancy
    multivitamin "no longer fits your profile" beside a 25 µg D3), else `reason_replaces`."""
    if why and set(why) <= STOCK_CODES:
        return "reason_replaces_stock"
    if why and all(code in BESIDE_CODES or code.startswith("besides_") for code in why):
        return "reason_replaces_beside"
    return "reason_replaces"


# why codes about what is taken besides a product, not the product itself
BESIDE_CODES = frozenset(
    {
        "life_stage_maximum_total",
        "upper_limit",
        "upper_limit_taken_food",
        "already_covered",
        "only_source",
        "one_source",
    }
)


def as_taken_view(product: Any, servings: float) -> dict[str, Any]:
    """A reorder at the servings the customer takes: those servings, the daily amounts and
    the price a month at them (re-review 22b U1: one 250 mg tablet a day of a two-a-day
    calcium cost 5.97 a month, the label's, where it is 2.99). {} at the label's."""
    label = product.servings_per_day
    if abs(servings - label) < 1e-9:
        return {}
    share = servings / label
    return {
        "servings_per_day": _number(servings),
        "nutrients_per_day": {k: rounded(v * share) for k, v in product.nutrients_per_day.items()},
        "price_per_month": round(product.price_per_month * share, 2),
    }


def as_taken_warnings(
    ev: Evaluation, index: int, warnings: list[dict[str, Any]], servings: float, locale: str
) -> list[dict[str, Any]]:
    """Below the label's servings the `near_upper_limit` warnings, which quote the label's
    daily amount ("with this you take 500 mg"), are worked out again at the servings taken:
    one 250 mg tablet a day beside up to 2,000 mg of calcium from food is still 2,250 of the
    2,500 mg (session 23). The rest (a medicine's, a life stage's) hold whatever the dose."""
    catalog = ev.snapshot.catalog
    label = catalog.products[index].servings_per_day
    if servings >= label - 1e-9:
        return warnings
    kept = [w for w in warnings if not w["code"].startswith("near_upper_limit")]
    row = catalog.nutrients_per_day[index]
    totals = ev.safety.totals_with_item[index] - row * (1 - servings / label)
    keys = ev.snapshot.reference.nutrients.keys
    for column, text in near_upper_limit(ev, totals, row > 0, locale):
        kept.append({"code": f"near_upper_limit:{keys[column]}", "text": text})
    return kept


def product_item(ev: Evaluation, index: int, locale: str) -> dict[str, Any]:
    product = ev.snapshot.catalog.products[index]
    return {
        "sku": product.sku,
        "name": product.name[locale],
        "servings_per_day": product.servings_per_day,
        "nutrients_per_day": {k: rounded(v) for k, v in product.nutrients_per_day.items()},
        "category": product.category,
        "form": product.form,
        "price": product.price,
        "currency": product.currency,
        "price_per_month": product.price_per_month,
        "pack_size": product.pack_size,
    }


def adds_reasons(
    snapshot: Snapshot, config: RefillConfig, replaced: int, index: int, locale: str
) -> list[dict[str, str]]:
    """`adds:<nutrient>` for each nutrient the product at `index` gives and the one it
    replaces did not ("Also gives 50 µg of vitamin K2 a day, which ... did not")."""
    catalog, reference = snapshot.catalog, snapshot.reference
    keys = reference.nutrients.keys
    row, old = catalog.nutrients_per_day[index], catalog.nutrients_per_day[replaced]
    name = catalog.products[replaced].name[locale]
    out = []
    for column in np.flatnonzero((row > 0) & (old <= 0)).tolist():
        key = keys[column]
        text = config.text(
            "reason_adds",
            locale,
            amount=rounded(row[column]),
            unit=reference.nutrients.units[key],
            nutrient=reference.nutrients.name(key, locale),
            name=name,
        )
        out.append({"code": f"adds:{key}", "text": text})
    return out


def runs_out_reason(config: RefillConfig, name: str, day: dt.date, today: dt.date, locale: str):
    key = "reason_runs_out" if day > today else "reason_ran_out"
    return {
        "code": "runs_out",
        "text": config.text(key, locale, name=name, date=config.date(day, locale)),
    }


def render_plan(
    snapshot: Snapshot, config: RefillConfig, plan: RefillPlan, locale: str
) -> dict[str, Any]:
    """The body of GET /v1/customers/{id}/refills (without `customer_id`)."""
    reference, catalog = snapshot.reference, snapshot.catalog
    in_reorder = {d.supply.sku for d in plan.decisions}  # items and left_out alike
    # review s31b H9: `in_reorder` read as "will be reordered"; `reordered`: in reorder.items
    # (the product again or what replaces it)
    reordered = {d.supply.sku for d in plan.decisions if d.action != "stop" and d.index is not None}
    due = {s.sku for s in plan.due}
    unfit = {
        d.supply.sku: d.nutrients or {code: [] for code in d.why}
        for d in plan.decisions
        if d.action != "reorder"
    }
    unfit.update(plan.lasting_why)
    words = why_words(plan.now)
    products = catalog.products
    proposed_for: dict[str, list[str]] = {}  # supply SKU -> the SKUs of the products proposed
    for d in plan.decisions:
        if d.action != "stop" and d.index is not None:
            proposed_for.setdefault(d.supply.sku, []).append(products[d.index].sku)
    refills = []
    for s in plan.listed:
        entry = {
            **supply_view(snapshot, s, plan.today, locale),
            "due": s.sku in due,
            "in_reorder": s.sku in in_reorder,
            "reordered": s.sku in reordered,
        }
        unsuited = s.sku in plan.stopped.unsuited
        if s.sku in plan.stopped:  # stopped when a product of the reorder starts (session 18)
            by = plan.stopped[s.sku]  # the product proposed for it that gives what this gives
            first = next((p for p in proposed_for.get(by, [by]) if shared(catalog, p, s.sku)), by)
            continued = catalog.products[catalog.index[first]].name[locale]
            key = "why_stopped_for_unsuited" if unsuited else "why_stopped_for"
            key = "why_stopped_joined" if s.sku in plan.stopped.joined else key
            names = nutrient_names(reference, shared(catalog, s.sku, first), locale)
            text = config.text(key, locale, name=continued, nutrients=names)
            entry["fits"] = False
            entry["why"] = [{"code": "stopped_for", "text": text}] + why_texts(
                config, reference, unfit.get(s.sku, {}), locale, words
            )
        elif s.sku in unfit:
            entry["fits"] = False
            entry["why"] = why_texts(config, reference, unfit[s.sku], locale, words)
        say_instead = unsuited or s.sku in plan.stopped.joined or s.sku not in plan.stopped
        if say_instead and s.sku in plan.lasting_replacements:
            # what serves its need instead (review 9b), also of one stopped as not suited to
            # the life stage (review s39d F1: the women's multivitamin's folic acid and iodine)
            if s.sku in unfit:
                entry["instead"] = _instead(snapshot, config, plan, s, locale)
                also = _instead_also(snapshot, config, plan, s, locale)
                if also:  # a multivitamin's other products, as the list names them (s29a F3)
                    entry["instead_also"] = also
        if "fits" not in entry and (s.sku in in_reorder or plan.checked_all):
            entry["fits"] = True
        refills.append(entry)
    items, left_out = [], []
    for decision in plan.decisions:
        supply, ev = decision.supply, decision.ev
        name = catalog.products[supply.index].name[locale]
        if decision.action == "stop" or decision.index is None:
            nutrients = decision.nutrients or {code: [] for code in decision.why}
            why = why_texts(config, reference, nutrients, locale, words)
            left_out.append(
                {
                    "sku": supply.sku,
                    "name": name,
                    "runs_out_on": supply.runs_out_on.isoformat(),
                    "why": why,
                    "advice": _left_out_advice(config, reference, decision, name, locale),
                }
            )
            continue
        item = product_item(ev, decision.index, locale)
        warnings = once(ev, item_warnings, decision.index, locale)
        if decision.action == "reorder":  # at the servings the customer takes
            product = catalog.products[supply.index]
            item.update(as_taken_view(product, supply.servings_per_day))
            warnings = as_taken_warnings(
                ev, decision.index, warnings, supply.servings_per_day, locale
            )
        reasons = [runs_out_reason(config, name, supply.runs_out_on, plan.today, locale)]
        reasons += stop_reasons(
            snapshot, config, plan.stopped, supply.sku, locale, catalog.products[decision.index].sku
        )
        if decision.action == "replace":
            # review s8 Q3: first what it gives that the product it replaces did not
            reasons[:0] = adds_reasons(snapshot, config, supply.index, decision.index, locale)
            reasons.append(
                {
                    "code": "replaces",
                    "text": config.text(replaces_key(decision.why), locale, name=name),
                }
            )
            reasons += _switch(ev, supply, locale)  # review s30a F1
            item["replaces"] = supply.sku
            item["why"] = why_texts(config, reference, decision.nutrients, locale, words)
            # what the advice says for the replacement itself (true for it, claim-checked)
            index = decision.index
            reasons.extend(once(ev, item_reasons, index, locale))
        product_name = catalog.products[decision.index].name[locale]
        warnings = warnings + short_of_advice(config, ev, decision.index, product_name, locale)
        item.update(
            {
                "action": decision.action,
                "for_sku": supply.sku,
                "runs_out_on": supply.runs_out_on.isoformat(),
                "reasons": reasons,
                "warnings": warnings,
            }
        )
        items.append(item)
    # review s8 Q1, Q2: what holds for what is taken now, as the list says it (its
    # above_upper_limit and intake_warning notices, the same codes and texts)
    now = plan.now
    notices = (
        once(now, profile_notices, locale) + _list_warnings(now, locale) if now is not None else []
    )
    if now is not None:  # review s29a F3: beside a lower dose named `instead`, as the list says
        shown = {entry["sku"] for entry in refills if "instead" in entry}
        named = [
            (s.index, i)
            for s in plan.listed
            if s.sku in shown and s.sku in plan.lasting_replacements
            for i in plan.lasting_replacements[s.sku].indices
        ]
        # review s29b F4: and beside the reorder's replacement of a product it names
        notices = beside_reorder(now, notices, named, plan, config, locale)
    notices += serum_notices(now, locale) if now is not None else []  # re-review 23r #3
    proposed = {catalog.products[d.index].sku for d in plan.decisions if d.index is not None}
    notices = stopped_unsuited(notices, plan, proposed, config, locale)
    if now is not None:  # what suits in place of a current supplement it stops (s40c 3)
        notices = _declared_instead(now, plan, notices, locale)
    reorder = None
    if items or left_out:
        reorder = {
            "order_by": plan.order_by.isoformat() if plan.order_by else None,
            "combine_within_days": config.combine_within_days,
            "items": items,
            "left_out": left_out,
        }
    return {
        "today": plan.today.isoformat(),
        "remind_days_before": config.remind_days_before,
        "refills": refills,
        "reorder": reorder,
        "notices": notices,
        "versions": snapshot.versions,
    }


def _declared_instead(
    now: Evaluation, plan: RefillPlan, notices: list[dict[str, str]], locale: str
) -> list[dict[str, str]]:
    """The list's `instead:<SKU>` notice (what suits in its place) of each current supplement
    named by SKU, not bought here, that the reorder stops as not suited to the life stage: it
    has no entry of its own to name that in (re-review s40c 3: a pregnant woman told to stop
    the women's multivitamin she names was offered nothing for its folic acid and iodine)."""
    listed = {s.sku for s in plan.listed}
    declared = plan.stopped.unsuited - listed
    if not declared:
        return notices
    request = RecommendationRequest(profile=now.profile, jurisdiction=now.jurisdiction)
    catalog = now.snapshot.catalog
    named = tuple(
        one for one in taken_instead(now, request) if catalog.products[one.replaced].sku in declared
    )
    return instead_notice(now, named, notices, locale) if named else notices


def _list_warnings(ev: Evaluation, locale: str) -> list[dict[str, str]]:
    """`intake_warning_notices` as the list shows them (ranking.list_notices): of a nutrient
    above its upper limit, the limit's notice (profile_notices) replaces the dose band's
    milder `intake_warning` (review s5 S4; review s13 F14: /refills carried both)."""
    return once(ev, intake_warning_notices, locale, True)


def _instead(
    snapshot: Snapshot, config: RefillConfig, plan: RefillPlan, supply: Supply, locale: str
) -> dict[str, Any]:
    """A product still lasting that no longer fits the profile: the product that serves its
    need and fits, with what it adds first, why it is proposed and its own reasons."""
    index, ev, _ = plan.lasting_replacements[supply.sku]
    name = snapshot.catalog.products[supply.index].name[locale]
    reasons = adds_reasons(snapshot, config, supply.index, index, locale)
    reasons.append({"code": "replaces", "text": config.text("reason_replaces", locale, name=name)})
    reasons += _switch(ev, supply, locale)
    return {
        **product_item(ev, index, locale),
        "reasons": reasons + once(ev, item_reasons, index, locale),
    }


def _instead_also(
    snapshot: Snapshot, config: RefillConfig, plan: RefillPlan, supply: Supply, locale: str
) -> list[dict[str, Any]]:
    """The products beside `instead` that serve the rest of a multivitamin's need (lasting.
    lasting_named: folic acid and iodine in place of a women's multivitamin in pregnancy beside
    a 50 µg D3), each as `instead` is."""
    name = snapshot.catalog.products[supply.index].name[locale]
    replaces = {"code": "replaces", "text": config.text("reason_replaces", locale, name=name)}
    return [
        {
            **product_item(ev, index, locale),
            "reasons": [
                *adds_reasons(snapshot, config, supply.index, index, locale),
                replaces,
                *_switch(ev, supply, locale),
                *once(ev, item_reasons, index, locale),
            ],
        }
        for index, ev in plan.lasting_replacements[supply.sku].also
    ]


def _switch(ev: Evaluation, supply: Supply, locale: str) -> list[dict[str, str]]:
    """Review s30a F1: a replacement of a product a medicine keeps out says to switch only as
    agreed with whoever treats it (instead.switch_reason: a vitamin K antagonist's INR)."""
    reason = switch_reason(ev, (supply.index,), locale)
    return [] if reason is None else [reason]


# a product left out only because what is taken besides it gives the same, or a child's second
# product of a vitamin: no call for advice where nothing else keeps it out (review s29a F1)
COVERED_ONLY = frozenset({"covered", "already_covered"})
DUPLICATE_ONLY = COVERED_ONLY | {"one_source"}
# beside a duplicate, no reason to ask of its own: nothing calls for it (review s7 P11), or only
# the day's total with what covers it is above the pregnancy maximum (review s6 T6: the 25 µg
# D3 beside a lasting folic acid + 10 µg D3 is not needed, as it says)
BESIDE_DUPLICATE = frozenset({"no_advice", "life_stage_maximum_total"})

# review s29a F1: the reasons of safety a left-out advice gives first, in this order, each with
# the nutrients concerned (the interaction first: "not with your anticoagulant")
SAFETY_NOTICES = (
    (("interaction",), "notice_not_reordered_interaction"),
    (UPPER_LIMIT_CODES, "notice_not_reordered_upper_limit"),
)
LATER_NOTICES = (
    (("not_indicated",), "notice_not_reordered_not_indicated"),
    (("dose_band",), "notice_not_reordered_dose_band"),
)


def _left_out_advice(
    config: RefillConfig, reference: Reference, decision: Any, name: str, locale: str
) -> str:
    """The `advice` of a product left out (`_left_out_notice`), with the nutrients its
    reason names; an interaction in its own words where it has them (`.<interaction id>`)."""
    nutrients = decision.nutrients or {code: [] for code in decision.why}
    key, codes = _left_out_notice(nutrients)
    named = list(dict.fromkeys(n for code in codes for n in nutrients.get(code, [])))
    if key == "notice_not_reordered_interaction":
        keys = reference.nutrients.keys
        columns = [keys.index(n) for n in named]
        key = interaction_key(decision.ev, key, columns, config.texts)
    values = {"nutrients": nutrient_names(reference, named, locale)} if codes else {}
    return config.text(key, locale, name=name, **values)


def _left_out_notice(why: dict[str, list[str]]) -> tuple[str, tuple[str, ...]]:
    """The advice's text and the why codes whose nutrients it names. A reason of safety
    first (review s29a F1: "you already get enough" beside a vitamin K antagonist, "for a
    child, one product of it" beside a zinc upper limit): an interaction
    (`notice_not_reordered_interaction`), an upper limit (`_upper_limit`), a product or dose
    that does not suit pregnancy or breastfeeding (`notice_not_reordered_life_stage`, review
    22 F3), what is taken now above an upper limit (`_above_limit`: paused, no alternative
    was looked for, review 17 RF1), a nutrient not indicated without a doctor's need
    (`_not_indicated`), a dose above the band (`_dose_band`). Only where nothing but a
    duplicate keeps it out: `notice_not_reordered_one_source` (a child's other product of it
    goes on, session 19), `notice_not_needed` (what else is taken gives enough of all it gave;
    not `only_source`), also beside `BESIDE_DUPLICATE`. `notice_not_needed_no_advice` when
    nothing in the profile calls for what it gave (review s7 P11); a duplicate beside another
    reason: `_unsuited` (its why says which); else, and beside `only_source`,
    `notice_not_reordered` (no safe alternative was found)."""
    codes = set(why)
    for group, key in SAFETY_NOTICES:
        found = tuple(code for code in group if why.get(code))
        if found:
            return key, found
    if set(LIFE_STAGE_CODES) & codes:  # review 22 F3: unsafe, not "not needed"
        return "notice_not_reordered_life_stage", ()
    if codes & {"above_upper_limit_now", "above_upper_limit_now_food"}:
        return "notice_not_reordered_above_limit", ()
    for group, key in LATER_NOTICES:
        found = tuple(code for code in group if why.get(code))
        if found:
            return key, found
    rest = codes - BESIDE_DUPLICATE
    if rest and rest <= DUPLICATE_ONLY:
        if "one_source" in rest:  # session 19
            return "notice_not_reordered_one_source", ()
        return "notice_not_needed", ()
    if "no_advice" in codes:
        return "notice_not_needed_no_advice", ()
    if "only_source" in codes:  # nothing replaces what only it gave (review s6 T6)
        return "notice_not_reordered", ()
    if codes & DUPLICATE_ONLY:  # another product serves it, but not only that keeps it out
        return "notice_not_reordered_unsuited", ()
    return "notice_not_reordered", ()
