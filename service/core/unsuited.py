"""Lines of an intake check that fail a guarantee for the person whatever else is combined
(review s5 S7): the basket suggestion removes them before anything else, and adds nothing while
one stays.

A line fails when an interaction or contraindication excludes a nutrient it gives (guarantees 2
and 6), when its catalog product is unsuitable for the profile (diet, allergy, age, life stage:
guarantees 3-5), gives more per daily dose than the life stage or the market allows, or may not
be sold (guarantees 8 and 10), or when the life stage's maximum is crossed by the sum: then
basket lines go first, the largest giver first, until the sum is within it.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np

from .advice import advice_of
from .amounts import above
from .day_totals import over_room
from .intake import shown_name
from .line_notices import conflict_words, conflicting
from .reference import own_stage
from .regimen_texts import TextWriter
from .safety import life_stage_maxima as maxima_of

# safety-mask codes that are not a failure of the line itself (the upper limit is the
# violation search's; a product out of stock or already taken is no reason to remove it; the
# life stage's maximum is computed on the day's totals, basket included (safety.life_stage_mask):
# a line fails it on its own dose only, and the sum is decided largest first below, review s6 T3)
_NOT_THE_LINE = frozenset({"upper_limit", "out_of_stock", "already_taken", "life_stage_maximum"})
# mask code -> the reason word of the suggestion's text (regimen_texts.yaml `unsuited_<word>`,
# also `interaction` and `law`: market maxima, not sellable)
_REASON = {
    "diet": "diet",
    "allergy": "allergy",
    "age": "age",
    "life_stage": "life_stage",
    "life_stage_maximum": "life_stage_maximum",
}


def life_stage_maxima(ev: Any) -> dict[str, float]:
    """product_maxima.yaml `life_stages` for the profile: a woman planning a pregnancy is held
    to the pregnancy maxima, as she is to the catalog's pregnancy suitability
    (safety.planning_pregnancy; review s8 Q4), like the list's warnings (advice.Offer.failing)."""
    return dict(maxima_of(ev.snapshot.reference, ev.profile))


def unsuited_lines(ev: Any) -> dict[int, list[str]]:
    """Indices of `ev.resolved` that fail a guarantee, each with its reason words."""
    catalog, reference = ev.snapshot.catalog, ev.snapshot.reference
    keys = reference.nutrients.keys
    out: dict[int, list[str]] = {}
    maxima = life_stage_maxima(ev)

    def fails(i: int, why: str) -> None:
        reasons = out.setdefault(i, [])
        if why not in reasons:
            reasons.append(why)

    for i, line in enumerate(ev.resolved):
        for interaction in ev.safety.triggered:
            if any(line.amounts[keys.index(n)] > t for n, t in interaction.exclude.items()):
                fails(i, "interaction")
        if line.sku is None:
            continue
        index = catalog.index[line.sku]
        for code, mask in ev.safety.excluded.items():
            if code in _NOT_THE_LINE or code.startswith("interaction:") or not mask[index]:
                continue
            fails(i, _REASON.get(code, "law"))  # market maxima, not sellable
        for code, mask in ev.taken_unsuited.items():  # a rule's `taken` (review s28 F3)
            if mask[index]:
                fails(i, code)
        if line.sku in catalog.unauthorised_forms:  # review s7 P9: no dose of it is allowed
            out[i] = [why for why in out.get(i, []) if why != "law"] + ["form"]
    for i, line in enumerate(ev.resolved):  # a daily dose above the maximum on its own
        if any(above(float(line.amounts[keys.index(k)]), m) for k, m in maxima.items()):
            fails(i, "life_stage_maximum")
    for key, maximum in maxima.items():  # the day's total above the maximum
        _fail_largest_first(ev, out, keys.index(key), maximum, f"life_stage_maximum:{key}")
    for column, maximum in _above_band(ev).items():
        _fail_largest_first(ev, out, column, maximum, f"dose_band:{keys[column]}")
    return out


def _above_band(ev: Any) -> dict[int, float]:
    """{column: the dose band's upper end} where the day's total is above the band of the
    profile's advice (guarantee 10; the list's `intake_warning:<nutrient>`, advice.Offer.failing
    kind `dose_band`; review 8b R1: 75 µg vitamin D at 72, at most 50), not where it crosses
    the upper limit (with food where it counts): the violation's fix is the smallest change."""
    crossed = set(ev.over_limit_now) | set(over_room(ev).tolist())
    return {
        column: float(found.maximum)
        for column, found in ev.offer.failing.items()
        if found.kind == "dose_band" and found.maximum is not None and column not in crossed
    }


def _fail_largest_first(
    ev: Any, out: dict[int, list[str]], column: int, maximum: float, why: str
) -> None:
    """Lines giving `column` fail with `why`, basket lines before what is taken, the largest
    first, until the sum of those left is within `maximum` (lines failing already not counted)."""
    giving = [i for i, r in enumerate(ev.resolved) if i not in out and r.amounts[column] > 0]
    total = sum(float(ev.resolved[i].amounts[column]) for i in giving)
    if not above(total, maximum):  # review 16 F1: 20 µg is not "more than the 25 µg"
        return
    order = sorted(
        giving,
        key=lambda i: (
            not ev.resolved[i].path.startswith("basket."),
            -ev.resolved[i].amounts[column],
            i,
        ),
    )
    kept = _keeping_the_advice(ev, order, column, total, maximum)
    if kept is not None:  # review 12 F9: the doctor's 50 µg capsule stays, the 20 µg goes
        for i in kept:
            out.setdefault(i, []).append(why)
        return
    for i in order:
        if not above(total, maximum):
            break
        out.setdefault(i, []).append(why)
        total -= float(ev.resolved[i].amounts[column])


def _keeping_the_advice(
    ev: Any, order: list[int], column: int, total: float, maximum: float
) -> tuple[int, ...] | None:
    """The fewest of `order`'s lines (in its order) whose removal leaves the day's `column`
    within `maximum` and at or above the profile's advice for it; None where no such set of
    up to 4 lines exists or there is no advice (then the largest go first)."""
    target = float(advice_of(ev).targets[column])
    if not target > 0:
        return None
    amount = {i: float(ev.resolved[i].amounts[column]) for i in order}
    for size in range(1, min(len(order), 4) + 1):
        for lines in combinations(order, size):
            left = total - sum(amount[i] for i in lines)
            if not above(left, maximum) and left >= target * (1 - 1e-9):
                return lines
    return None


def removal_text(
    ev: Any, unsuited: dict[int, list[str]], lines: list[int], write: TextWriter
) -> str:
    """ "Remove from your basket: <name> (<reasons>), ..." for those lines."""
    parts = [
        write(
            "unsuited_line",
            name=line_name(ev, i, write),
            reasons=line_reasons(ev, i, unsuited[i], write),
        )
        for i in lines
    ]
    return write("suggestion_remove_unsuited", lines="; ".join(parts))


def line_name(ev: Any, line: int, write: TextWriter) -> str:
    """The product's name in the locale, else the line's label (or its place in words)."""
    return shown_name(ev.resolved[line], ev.snapshot, write.locale)


def line_reasons(ev: Any, line: int, whys: list[str], write: TextWriter) -> str:
    """The words of each reason a line fails (`unsuited_lines` codes), comma-separated."""
    sku = ev.resolved[line].sku
    forms = form_names(ev, sku, write) if sku else ""
    return ", ".join(_reason(ev, line, why, forms, write) for why in whys)


def _reason(ev: Any, line: int, why: str, forms: str, write: TextWriter) -> str:
    """`unsuited_<why>`; for `dose_band:<nutrient>` the nutrient's day's total and the band
    (regimen_texts.yaml `unsuited_dose_band`, as a product page says it), and for
    `life_stage_maximum:<nutrient>` the day's total and the life stage's maximum."""
    clash = conflicting(ev, ev.resolved[line].amounts) if why == "interaction" else []
    if clash:  # review 10 M2: name what conflicts ("contains vitamin K2, ...")
        return conflict_words(ev, clash, write.locale)
    if why == "life_stage_maximum":  # its own dose: with the numbers (session 18)
        own = _own_above_maximum(ev, line, write)
        if own:
            return own
    if ":" not in why:
        return write(_staged(ev, write, f"unsuited_{why}"), forms=forms)
    kind, key = why.split(":", 1)
    keys = ev.snapshot.reference.nutrients.keys
    column = keys.index(key)
    others = any(r.amounts[column] > 0 for j, r in enumerate(ev.resolved) if j != line)
    if kind == "life_stage_maximum":  # the day's total (review 12 F15: not the 25 µg alone)
        if not others:
            return write(_staged(ev, write, "unsuited_life_stage_maximum"), forms=forms)
        maximum = life_stage_maxima(ev)[key]
        text = _staged(ev, write, "unsuited_life_stage_maximum_nutrient")
    else:
        maximum, text = float(advice_of(ev).band_upper[column]), "unsuited_dose_band"
    values = ev.snapshot.reference.nutrients.text_values(
        key, write.locale, amount=float(ev.intake[column]), maximum=maximum
    )
    taken = write("unsuited_with_taken") if others else ""
    return write(text, taken=taken, **values)


def _own_above_maximum(ev: Any, line: int, write: TextWriter) -> str:
    """ "vitamin D: 50 µg a day is more than the 25 µg a day that suits pregnancy or
    breastfeeding" for each nutrient the line's own daily amount puts above the life stage's
    maximum; empty where none does (the bare words then)."""
    keys = ev.snapshot.reference.nutrients.keys
    amounts = ev.resolved[line].amounts
    parts = []
    for key, maximum in life_stage_maxima(ev).items():
        amount = float(amounts[keys.index(key)])
        if amount > float(maximum) * (1 + 1e-9):
            values = ev.snapshot.reference.nutrients.text_values(
                key, write.locale, amount=amount, maximum=maximum
            )
            text = _staged(ev, write, "unsuited_life_stage_maximum_nutrient")
            parts.append(write(text, taken="", **values))
    return ", ".join(parts)


def form_names(ev: Any, sku: str, write: TextWriter) -> str:
    """The forms of a product that the EU does not authorise for food supplements, in words
    (review s7 P9: "vitamin K2 as menaquinone-4", not "vitamin_k2 (mk4_synthetic)"):
    regimen_texts.yaml `form_<vitamin>_<form>`, else `form_unnamed` with the nutrient's name
    (a form authorised_forms.yaml does not list). Empty for a product without one."""
    nutrients = ev.snapshot.reference.nutrients
    names = []
    for vitamin, form in ev.snapshot.catalog.unauthorised_forms.get(sku, ()):
        key = f"form_{vitamin}_{form}"
        if key in write.texts:
            names.append(write(key))
            continue
        nutrient = next((k for k in nutrients.keys if k.rsplit("_", 1)[0] == vitamin), None)
        name = nutrients.name(nutrient, write.locale) if nutrient else vitamin.replace("_", " ")
        names.append(write("form_unnamed", nutrient=name))
    return ", ".join(names)


# mask codes that say nothing about the product and this person (a product out of stock or
# already taken is no reason it does not suit); `upper_limit` is said per nutrient below
_NOT_A_REASON = frozenset({"out_of_stock", "already_taken", "upper_limit"})


def is_next_pack(ev: Any, index: int) -> bool:
    """Whether catalog product `index` is taken or in the basket already: another pack of it is
    its next pack, not a second one a day (README; review 12 F2)."""
    sku = ev.snapshot.catalog.products[index].sku
    return any(line.sku == sku for line in ev.resolved)


def next_pack_day(ev: Any, index: int) -> tuple[np.ndarray, list[int], list[int]]:
    """For such a product: the day's totals with its next pack (what is taken and in the basket
    already, at least its own daily dose), and the columns it gives where that day is above the
    room the upper limit leaves beside food, and above the dose band."""
    per_day = ev.snapshot.catalog.nutrients_per_day[index]
    totals = np.maximum(ev.intake, per_day)
    gives = per_day > 0
    over = np.flatnonzero(gives & above(totals, ev.safety.room_or_inf)).tolist()
    banded = np.flatnonzero(gives & above(totals, advice_of(ev).band_upper)).tolist()
    return totals, over, banded


def product_reasons(ev: Any, index: int, write: TextWriter) -> list[str]:
    """Why the catalog product `index` does not suit the person, in words (review s8 Q7: the
    product on a page that "does not suit your profile" says why): each nutrient whose upper
    limit it crosses with what is taken + basket, with the food allowance where the limit is
    for total intake (the intake check's figures), each nutrient above the life stage's
    maximum a day (`life_stage_maxima`), the `unsuited_<reason>` words of a basket line for the
    profile's own masks (interaction, diet, allergy, age, life stage, law, form), and each
    nutrient above the dose band of the profile's advice; last, the words of the shop's
    exclude rules that keep it out (`rule_reasons`). Empty where none applies (a shop rule
    without words)."""
    catalog, reference = ev.snapshot.catalog, ev.snapshot.reference
    keys = reference.nutrients.keys
    nutrients = reference.nutrients
    reasons: list[str] = []
    lines = ev.resolved

    def with_taken(column: int) -> str:
        given = any(line.amounts[column] > 0 for line in lines)
        return write("unsuited_with_taken") if given else ""

    band_upper = advice_of(ev).band_upper
    next_pack = is_next_pack(ev, index)
    if next_pack:
        totals, over, banded = next_pack_day(ev, index)
    else:
        totals = ev.safety.totals_with_item[index]
        over = [int(c) for c in ev.safety.over_limit[index].nonzero()[0]]
        banded = ev.offer.above_band[index].nonzero()[0]
    for column in over:
        food = float(ev.safety.food[column])
        values = nutrients.text_values(
            keys[column],
            write.locale,
            amount=float(totals[column]),
            upper_limit=float(ev.limits[column]),
            food=food,
        )
        text_key = "unsuited_upper_limit_food" if food > 0 else "unsuited_upper_limit"
        reasons.append(write(text_key, taken=with_taken(column), **values))
    said = set(over)  # the nutrients named with their limit
    stage_named = False
    for key, maximum in life_stage_maxima(ev).items():
        column = keys.index(key)
        total = float(totals[column])
        if column in said or not catalog.nutrients_per_day[index, column] > 0:
            continue
        if above(total, maximum):
            said.add(column)
            stage_named = True
            values = nutrients.text_values(key, write.locale, amount=total, maximum=maximum)
            text = _staged(ev, write, "unsuited_life_stage_maximum_nutrient")
            reasons.append(write(text, taken=with_taken(column), **values))
    words: list[str] = []
    for code, mask in ev.safety.excluded.items():
        if code in _NOT_A_REASON or not mask[index]:
            continue
        if next_pack and code == "life_stage_maximum":  # the day's, judged above
            continue
        why = "interaction" if code.startswith("interaction:") else _REASON.get(code, "law")
        if why == "law" and catalog.products[index].sku in catalog.unauthorised_forms:
            why = "form"
        if why == "life_stage_maximum" and stage_named:
            continue  # named with its nutrient above
        if why not in words:
            words.append(why)
    forms = form_names(ev, catalog.products[index].sku, write) if "form" in words else ""
    # review 10 M2: an interaction names what conflicts ("contains vitamin K2, ..."), first
    clash = conflicting(ev, catalog.nutrients_per_day[index]) if "interaction" in words else []
    reasons += [
        conflict_words(ev, clash, write.locale)
        if why == "interaction" and clash
        else write(_staged(ev, write, f"unsuited_{why}"), forms=forms)
        for why in words
    ]
    for column in [int(c) for c in banded]:
        if column in said:  # its upper limit or life stage maximum is said above
            continue
        band = float(band_upper[column])
        values = nutrients.text_values(
            keys[column],
            write.locale,
            amount=float(totals[column]),
            maximum=band,
        )
        reasons.append(write("unsuited_dose_band", taken=with_taken(column), **values))
    return reasons + rule_reasons(ev, index, write)


def _staged(ev: Any, write: TextWriter, key: str) -> str:
    """A life stage's text in the person's own life stage where the texts give it
    (`<key>_pregnant`, review s38a F4: a cod-liver oil's 0 µg of retinol is pregnancy's
    maximum, not breastfeeding's), else `key`."""
    return write.own_text(key, own_stage(ev.profile)) if "life_stage" in key else key


def rule_reasons(ev: Any, index: int, write: TextWriter) -> list[str]:
    """Why the shop's exclude rules that keep product `index` out for the person say it does
    not suit: each rule's `why` (else `taken`) words, regimen_texts.yaml `unsuited_<words>`,
    once each ("made for men"; review s29a F9: a target-group or children's rule gave none)."""
    words: list[str] = []
    for rule in ev.matched_rules:
        if rule.action == "exclude" and rule.mask[index] and rule.why_words:
            if rule.why_words not in words:
                words.append(rule.why_words)
    return [write(f"unsuited_{why}") for why in words]
