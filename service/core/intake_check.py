"""Check what a person combines (current supplements + basket): totals, limits, warnings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np

from .advice_texts import intake_warning_notices
from .amounts import above, rounded
from .basket_add import add_for_target
from .basket_fix import change, fix_violation, next_packs
from .children import two_sources_warnings
from .day_totals import (
    food_alone_columns,
    limit_text_values,
    over_room,
)
from .intake import LineAmounts
from .intake_food import check_notices, food_alone_warnings, with_doctor_dose
from .intake_not_indicated import line_name as _name
from .intake_not_indicated import not_indicated_warnings
from .market import over_maxima
from .next_pack_fix import kept_for_then, packs_back
from .profile import Line, Profile, labelled_lines
from .ranking import Evaluation, evaluate
from .reference import own_stage
from .refills.settings import RefillConfig
from .regimen_texts import TextWriter
from .safety import intake_entries, life_stage_maxima
from .snapshot import Snapshot
from .unsuited import form_names, removal_text, unsuited_lines
from .vocabulary import DEFAULT_LOCALE


def check_intake(
    snapshot: Snapshot,
    profile: Profile,
    basket: tuple[Line, ...],
    locale: str,
    today: dt.date,
    jurisdiction: str | None = None,
    refills: RefillConfig | None = None,
) -> dict[str, Any]:
    """The contract's answer, plus `notices` and `versions`; `refills`: the settings whose
    `why_not_indicated` words the `not_indicated` warning uses (review s29a F8)."""
    ev = evaluate(snapshot, profile, labelled_lines(profile, basket), today, jurisdiction)
    reference = snapshot.reference
    keys = reference.nutrients.keys
    totals, violations, food_warnings = {}, [], []
    entries = intake_entries(keys, ev.intake, ev.limits, ev.safety)
    alone = set(food_alone_columns(ev).tolist())  # food alone above the limit (R11-4)
    for column, key in enumerate(keys):
        amount, limit = ev.intake[column], ev.limits[column]
        over = bool(above(amount, limit))
        room, food = ev.safety.room[column], ev.safety.food[column]
        # guarantee 9 (R13): where the limit is for total intake, a high usual intake from
        # food counts in the verdict too (25 mg zinc + 17 mg from food is above 25 mg);
        # `amount` stays what the supplements give
        with_food = not over and not np.isnan(limit) and bool(above(amount, room))
        totals[key] = {
            "amount": rounded(amount),
            "upper_limit": None if np.isnan(limit) else rounded(limit),
            "status": "above_upper_limit" if over or with_food or column in alone else "ok",
            "food": entries[key]["food"],
            "room": entries[key]["room"],
        }
        food_text = ""
        if with_food:
            room_key = "above_room"
            if ev.profile.age == 0:  # the allowance is infant formula's (review s39a F1)
                room_key = reference.food.variant(room_key, "infant")
            food_text = reference.food.text(
                room_key,
                locale,
                **reference.nutrients.text_values(
                    key, locale, amount=amount, food=food, upper_limit=limit, room=room
                ),
            )
            food_warnings.append(
                {
                    "code": f"above_room:{key}",
                    "text": food_text,
                    "skus": _names(ev.resolved, column),
                }
            )
        if over or with_food:
            violations.append(
                {
                    "nutrient": key,
                    "amount": rounded(amount),
                    "upper_limit": rounded(limit),
                    "skus": _names(ev.resolved, column),
                    # above on their own where the limit is for total intake: the total
                    # with food named too, as `total` says (review s6)
                    "text": food_text
                    or reference.text(
                        "warning_above_upper_limit" + ("_food" if food else ""),
                        locale,
                        **limit_text_values(reference, key, locale, amount, limit, food),
                    ),
                    # added (R13): the food allowance counted and the total it makes
                    "food": rounded(food),
                    "total": rounded(amount + food),
                    "counts_food": with_food,
                }
            )
    return {
        "totals": totals,
        "violations": violations,
        "warnings": food_warnings
        + food_alone_warnings(ev, locale)
        + _interaction_warnings(ev, locale)
        + _product_warnings(ev, locale)
        + _law_warnings(ev, locale)
        + _dose_band_warnings(ev, locale, violations)
        + _taken_band_warnings(ev, (profile, basket, jurisdiction), locale, violations)
        + two_sources_warnings(ev, locale)  # a child's one product of a vitamin (session 19)
        + not_indicated_warnings(ev, locale, refills),  # goal_indication (review s29a F8)
        "notices": check_notices(ev, locale),
        "versions": snapshot.versions,
    }


def _dose_band_warnings(
    ev: Evaluation, locale: str, violations: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The list's `intake_warning:<nutrient>` (advice_texts.intake_warning_notices) for a total
    above the dose band (Offer.failing kind `dose_band`; guarantee 10, review 8b R1), naming the
    lines; not where a violation says the upper limit is crossed (the list says that instead)."""
    failing = ev.offer.failing
    keys = ev.snapshot.reference.nutrients.keys
    crossed = {v["nutrient"] for v in violations}
    band = {
        f"intake_warning:{keys[c]}": found
        for c, found in failing.items()
        if found.kind == "dose_band" and keys[c] not in crossed
    }
    return [
        {**notice, "skus": [_name(ev.resolved[i]) for i in band[notice["code"]].lines]}
        for notice in intake_warning_notices(ev, locale)
        if notice["code"] in band
    ]


def _taken_band_warnings(
    ev: Evaluation,
    request: tuple[Profile, Sequence[Line], str | None],
    locale: str,
    violations: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """The dose band's warning of what is taken without the basket, of a nutrient the basket
    takes above its upper limit: taking the basket's product out, as the suggestion says,
    still leaves it (review s36a F7: a vegan woman of 67 on 75 µg vitamin D, 50 µg her band,
    with a 25 µg D3 + K2 in the basket was warned of the limit only)."""
    profile, basket, jurisdiction = request
    if not violations or not basket:
        return []
    crossed = {f"intake_warning:{v['nutrient']}" for v in violations}
    taken = evaluate(ev.snapshot, profile, labelled_lines(profile), ev.today, jurisdiction)
    return [w for w in _dose_band_warnings(taken, locale, []) if w["code"] in crossed]


def _names(resolved: list[LineAmounts], column: int) -> list[str]:
    return [_name(r) for r in resolved if r.amounts[column] > 0]


def _interaction_warnings(ev: Any, locale: str) -> list[dict[str, Any]]:
    keys = ev.snapshot.reference.nutrients.keys
    warnings = []

    def lines_with(thresholds: dict[str, float]) -> list[str]:
        """Every line giving a nutrient whose day's total (all lines together) is above the
        threshold: a daily threshold is for the day, not for each product (review s5 S1)."""
        over = [keys.index(n) for n, t in thresholds.items() if above(ev.intake[keys.index(n)], t)]
        return [_name(r) for r in ev.resolved if any(r.amounts[c] > 0 for c in over)]

    for interaction in ev.safety.triggered:
        names = lines_with({**interaction.exclude, **interaction.warn})
        if names:
            warnings.append(
                {
                    "code": f"interaction:{interaction.id}",
                    "text": interaction.text[locale],
                    "skus": names,
                }
            )
    for interaction in ev.snapshot.reference.interactions:
        if interaction.together is None:
            continue
        group_a = lines_with({n: 0 for n in interaction.together[0]})
        group_b = lines_with({n: 0 for n in interaction.together[1]})
        if group_a and group_b and (set(group_a) | set(group_b)) != set(group_a) & set(group_b):
            warnings.append(
                {
                    "code": f"interaction:{interaction.id}",
                    "text": interaction.text[locale],
                    "skus": sorted(set(group_a) | set(group_b)),
                }
            )
    return warnings


def _product_warnings(ev: Any, locale: str) -> list[dict[str, Any]]:
    """Catalog products in the lines that this profile should not take (diet, allergy, age,
    life stage, an exclude rule with `taken`)."""
    reference, catalog, profile = ev.snapshot.reference, ev.snapshot.catalog, ev.profile
    checks = {
        "diet": ("warning_diet", {"diet": reference.text(f"diet_{profile.diet}", locale)}),
        "allergy": ("warning_allergy", None),
        # review 8b R10: "1 year", not "1 years"
        "age": ("warning_age_one" if profile.age == 1 else "warning_age", {"age": profile.age}),
        "life_stage": (reference.variant("warning_life_stage", own_stage(profile)), {}),
    }
    warnings = []
    for code, (text_key, values) in checks.items():
        mask = ev.safety.excluded.get(code)
        if mask is None:
            continue
        skus = sorted({r.sku for r in ev.resolved if r.sku and mask[catalog.index[r.sku]]})
        if not skus:
            continue
        if values is None:
            found = {a for s in skus for a in catalog.products[catalog.index[s]].allergens}
            named = [
                reference.text(f"allergen_{a}", locale)
                for a in sorted(found & set(profile.allergies))
            ]
            values = {"allergens": reference.listed(named, locale)}
        warnings.append(
            {"code": code, "text": reference.text(text_key, locale, **values), "skus": skus}
        )
    for code, mask in ev.taken_unsuited.items():  # an exclude rule's `taken` (review s28 F3)
        skus = sorted({r.sku for r in ev.resolved if r.sku and mask[catalog.index[r.sku]]})
        if skus:
            reason = TextWriter(reference, locale)(f"unsuited_{code}")
            text = reference.text("warning_taken_rule", locale, reason=reason)
            warnings.append({"code": code, "text": text, "skus": skus})
    return warnings


def _law_warnings(ev: Any, locale: str) -> list[dict[str, Any]]:
    """Catalog products in the lines that the law keeps off this profile's market (guarantee 8),
    that are not sellable at all, or that give more than suits pregnancy (guarantee 10)."""
    reference, catalog, profile = ev.snapshot.reference, ev.snapshot.catalog, ev.profile
    law = reference.market_maxima
    nutrients = reference.nutrients
    skus = sorted({r.sku for r in ev.resolved if r.sku})
    warnings = []
    write = TextWriter(reference, locale)

    def details(per_day: dict[str, float], maxima: dict[str, float]) -> str:
        # a maximum of 0 in words: "retinol 250 µg > 0 µg" (review s44a F7)
        return ", ".join(
            reference.text("detail_maximum_none", locale, **values)
            if maxima[n] == 0
            else "{nutrient} {amount} {unit} > {maximum} {unit}".format(**values)
            for n in over_maxima(per_day, maxima)
            for values in [nutrients.text_values(n, locale, amount=per_day[n], maximum=maxima[n])]
        )

    checks = [
        ("market_maximum", law.binding.get(profile.country, {})),
        (
            "product_maximum",
            law.advisory.get(profile.country, {})
            if profile.country in law.advisory_markets
            else {},
        ),
    ]
    warnings += _life_stage_warnings(ev, locale, details)
    for code, maxima in checks:
        if not maxima:
            continue
        for sku in skus:
            per_day = catalog.products[catalog.index[sku]].nutrients_per_day
            if over_maxima(per_day, maxima):
                warnings.append(
                    {
                        "code": code,
                        "text": law.text(
                            code, locale, details=details(per_day, maxima), market=profile.country
                        ),
                        "skus": [sku],
                    }
                )
    for sku in skus:
        index = catalog.index[sku]
        if catalog.not_sellable[index]:
            product = catalog.products[index]
            forms = form_names(ev, sku, write)  # in words, at any dose (review s7 P9)
            reason = (
                write("not_authorised_form", forms=forms)
                if forms
                else str(product.not_sellable_reason)
            )
            warnings.append(
                {
                    "code": "not_sellable",
                    "text": law.text("not_sellable", locale, reason=reason),
                    "skus": [sku],
                }
            )
    return warnings


def _life_stage_warnings(ev: Any, locale: str, details: Any) -> list[dict[str, Any]]:
    """Guarantee 10 for what is combined (R3): the life stage's maxima (product_maxima.yaml
    `life_stages`) against the sum per nutrient of every line, labels too (two 20 µg vitamin D
    products or 50 µg drops from a label in pregnancy), naming the lines that give it."""
    reference, profile = ev.snapshot.reference, ev.profile
    law = reference.market_maxima
    maxima = life_stage_maxima(reference, profile)
    keys = reference.nutrients.keys
    totals = {key: float(ev.intake[keys.index(key)]) for key in maxima}
    over = over_maxima(totals, maxima)
    if not over:
        return []
    columns = [keys.index(n) for n in over]
    lines = [r for r in ev.resolved if any(r.amounts[c] > 0 for c in columns)]
    names = sorted({_name(r) for r in lines})
    if len(lines) == 1:
        key = law.variant("life_stage_maximum", own_stage(profile))
        text = law.text(key, locale, details=details(totals, maxima), market="")
    else:
        key = reference.variant("warning_life_stage_maximum_total", own_stage(ev.profile))
        text = reference.text(key, locale, details=details(totals, maxima))
    return [{"code": "life_stage_maximum", "text": text, "skus": names}]


# ---------------------------------------------------------------- basket suggestion


def basket_suggestion(snapshot: Snapshot, request: dict, today: dt.date) -> dict | None:
    """The suggestion, with the doctor's notices after it where it changes a doctor's dose
    (both read the one evaluation of the basket as it is)."""
    profile = Profile.from_dict(request["profile"])
    basket = [Line.from_dict(x) for x in request.get("basket") or ()]
    lines = labelled_lines(profile, basket)
    ev = evaluate(snapshot, profile, lines, today, request.get("jurisdiction"))
    suggestion = _suggestion(ev, lines, basket, request)
    return with_doctor_dose(ev, request, suggestion)


# a taken line's failures that depend on how many a day (not the product's own): the dose band,
# the life stage's maximum (review 25 F5: a 25 µg spray at 2 a day in pregnancy is no product
# "more than suits pregnancy", it goes back to 1 a day)
_SERVINGS_REASONS = ("dose_band:", "life_stage_maximum")


def _suggestion(ev: Evaluation, lines: list, basket: list[Line], request: dict) -> dict | None:
    """First the removal of basket lines that fail a guarantee (unsuited.py), then the
    smallest basket change that fixes a crossed limit, else the one product that closes the
    most of a missed target at the lowest cost; None when there is nothing to suggest (or when
    current supplements alone cross a limit: no basket change fixes it). While a taken line
    fails a guarantee, a crossed limit is still fixed in the basket, but nothing is added; its
    next pack in the basket (a basket line of the same SKU) is removed (session 17)."""
    snapshot, profile, today = ev.snapshot, ev.profile, ev.today
    jurisdiction = request.get("jurisdiction")
    write = TextWriter(snapshot.reference, request.get("locale") or DEFAULT_LOCALE)
    unsuited = unsuited_lines(ev)
    # review s5 S7: a line that fails a guarantee goes first (guarantees 2-6, 8, 10); nothing
    # is added while one stays, and what is taken cannot be changed in the basket
    going = [i for i in sorted(unsuited) if ev.resolved[i].path.startswith("basket.")]
    # the next pack of a taken product that fails a guarantee of its own (not meant for the
    # age, ...); one above the dose band is the person's dose, warned of (review s6 T4), and
    # where the pack's servings are what fails, packs_back takes them back
    packs = _packs(ev, unsuited, going, basket, _SERVINGS_REASONS)
    back = None if packs else packs_back(ev, basket, request, write)
    if back is not None:  # raised servings of a next pack first (review 24 F3, F5)
        return back
    if not packs:  # above the life stage's maximum at the servings taken too: its own dose
        packs = _packs(ev, unsuited, going, basket, ("dose_band:", "life_stage_maximum:"))
    if not unsuited:
        return _fix_or_add(ev, write, basket)
    if not going and not packs:  # only taken lines fail: the basket may still cross a limit
        # (session 6)
        fix = _fix_or_add(ev, write, basket)
        return None if fix is None or fix["code"] == "add" else fix
    order = sorted([*going, *packs])  # as the text names them (review 24 F6)
    changes = []
    for i in order:
        step = change("remove", ev.resolved[i], 0)
        changes += [{**step, "line": path} for path in packs[i]] if i in packs else [step]
    removal = {**changes[0], "text": removal_text(ev, unsuited, order, write), "changes": changes}
    # then the fix of the basket without them; a taken line that fails stays taken (at what the
    # person takes): its crossed limit is still fixed, nothing is added (review 24 F1)
    kept, rest = kept_for_then(ev, lines, basket, going, packs)
    then = _fix_or_add(evaluate(snapshot, profile, kept, today, jurisdiction), write, rest)
    if then is None or (then["code"] == "add" and len(going) < len(unsuited)):
        return removal
    more = then.get("changes") or [{k: then[k] for k in ("code", "sku", "servings_per_day")}]
    return {**removal, "text": f"{removal['text']} {then['text']}", "changes": changes + more}


def _packs(
    ev: Evaluation,
    unsuited: dict[int, list[str]],
    going: list[int],
    basket: list[Line],
    skipped: tuple[str, ...],
) -> dict[int, list[str]]:
    """{a taken line that fails for a reason not in `skipped`: its next packs' places}."""
    packs = {
        i: [f"basket.{b}" for b, line in enumerate(basket) if line.sku == ev.resolved[i].sku]
        for i in sorted(unsuited)
        if i not in going
        and ev.resolved[i].sku
        and any(not why.startswith(skipped) for why in unsuited[i])
    }
    return {i: paths for i, paths in packs.items() if paths}


def _fix_or_add(ev: Evaluation, write: TextWriter, basket: list[Line]) -> dict | None:
    if ev.over_limit_now or over_room(ev).size:
        lines: list[LineAmounts] = [x for x in ev.resolved if x.path.startswith("basket.")]
        return fix_violation(ev, [*lines, *next_packs(ev, basket)], write)
    return add_for_target(ev, write)
