"""Lines of what is taken or in the basket whose product does not suit the person by allergy,
diet or age (guarantees 3-5; review s9 A1).

The list never offers such a product, but a line of the basket or of the current supplements
may be one: the fish-oil D3 + K2 of a woman with a fish allergy, the kids' drops of a girl of
13. Such a line gets `product_not_suited:<SKU>` (the product and why, as the intake check's
warning says it), and what it gives is never called enough: an `already_covered:<nutrient>`
notice of a nutrient it gives is replaced by the line's notice, which says that nothing more of
it is suggested beside the product (no list item adds a covered nutrient).

Review 10 M1: the same for a line an interaction or contraindication excludes (guarantees 2 and
6: the D3 + K2 drops of a woman on a vitamin K antagonist). Its notice names the nutrient that
conflicts; the interaction's own warning about that nutrient (`intake_warning:<nutrient>`, whom
to ask) stays. What else it gives is never "enough": while it is taken or in the basket nothing
more of it is suggested (every upper limit counts the line), and the notice says that a product
with it and without the conflicting nutrient can suit, as the intake check proposes one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .amounts import above
from .day_totals import interaction_key, over_room, over_threshold
from .instead_switch import switch_key
from .reference import own_stage
from .regimen_texts import TextWriter

if TYPE_CHECKING:
    from .ranking import Evaluation

# safety masks that fail the product for the person whatever it is combined with; the reason
# words are regimen_texts.yaml `unsuited_<code>` (the intake check's suggestion uses them too).
# `not_sellable`: a product the EU does not allow as a food supplement (a 45 mg MK-4 capsule,
# a medicine's dose) taken: the list said "you already take vitamin K2" (review 21 P4)
LINE_CODES = ("allergy", "diet", "age", "not_sellable")
_COVERED = "already_covered:"


def unsuited_taken(ev: Evaluation) -> dict[int, list[str]]:
    """{index of `ev.resolved`: the mask codes its catalog product fails} for lines of a
    catalog product that does not suit the person by allergy, diet or age, or may not be sold
    as a food supplement, or that an exclude rule with `taken` excludes (its code)."""
    catalog = ev.snapshot.catalog
    masks = [(code, ev.safety.excluded.get(code)) for code in LINE_CODES]
    masks += list(ev.taken_unsuited.items())  # a rule's `taken` (review s28 F3)
    out: dict[int, list[str]] = {}
    for i, line in enumerate(ev.resolved):
        index = catalog.index.get(line.sku) if line.sku is not None else None
        if index is None:
            continue
        codes = [code for code, mask in masks if mask is not None and bool(mask[index])]
        if codes:
            out[i] = codes
    return out


def conflicting(ev: Evaluation, amounts: np.ndarray) -> list[int]:
    """Nutrient columns of `amounts` (a line's or a product's a day) that an interaction
    triggered for the person excludes, above its threshold (vitamin K2 with a vitamin K
    antagonist)."""
    keys = ev.snapshot.reference.nutrients.keys
    out: list[int] = []
    for interaction in ev.safety.triggered:
        for key, threshold in interaction.exclude.items():
            column = keys.index(key)
            if amounts[column] > threshold and column not in out:
                out.append(column)
    return out


def interaction_taken(ev: Evaluation) -> dict[int, list[int]]:
    """{index of `ev.resolved`: the nutrient columns an interaction triggered for the person
    excludes and the line gives} for lines of a catalog product."""
    out: dict[int, list[int]] = {}
    for i, line in enumerate(ev.resolved):
        columns = conflicting(ev, line.amounts) if line.sku is not None else []
        if columns:
            out[i] = columns
    return out


def warned_lines(ev: Evaluation) -> frozenset[int]:
    """Indices of `ev.resolved` that the answer warns about as products (review 11 R11-3,
    R11-9): a line whose product does not suit the person (`product_not_suited`: allergy, diet,
    age, the life stage); a line, catalog product or label, that gives what an interaction
    triggered for the person excludes (its `intake_warning`); a line that by itself is above
    the life stage's maximum, or above an upper limit with the food allowance where the limit
    counts it (a calcium tablet beside 14 dairy portions: `above_upper_limit`); and a line
    that gives a nutrient a warn-type interaction's day's threshold is crossed for (a thiazide
    user's calcium + D3: "talk to your doctor first"). Such a line is credited with nothing,
    neither in `already_covered` nor in `basket_covered`; it still counts for safety: every
    limit, the dose band and what is covered count it, so nothing more of what it gives is
    offered while it is there. A line that is only part of a total above a limit (the
    women's multivitamin's 10 µg beside 25 µg drops in pregnancy) still covers its other
    nutrients; the nutrient itself is never credited (`uncredited_columns`)."""
    known = ev.memo.get("warned_lines")
    if known is not None:
        return known  # type: ignore[no-any-return]
    lines = ev.resolved
    out = {*unsuited_taken(ev), *ev.offer.unsuitable_lines}
    out |= {i for i, line in enumerate(lines) if conflicting(ev, line.amounts)}
    for column, found in ev.offer.failing.items():
        if found.kind == "life_stage_maximum" and found.maximum is not None:
            out.update(i for i in found.lines if lines[i].amounts[column] > found.maximum)
    out |= basket_over_stage(ev)
    room = ev.safety.room_or_inf
    for column in over_room(ev).tolist():
        out.update(i for i, line in enumerate(lines) if above(line.amounts[column], room[column]))
    warned = _warn_columns(ev)
    out |= {i for i, line in enumerate(lines) if any(line.amounts[c] > 0 for c in warned)}
    result = ev.memo["warned_lines"] = frozenset(out)
    return result


def basket_over_stage(ev: Evaluation) -> frozenset[int]:
    """Basket lines (indices of `ev.resolved`) that give a nutrient whose day's total is above
    the life stage's maximum, not the next pack of a product taken (review s34a F1: a pregnant
    woman on 25 µg vitamin D with a folic acid + 10 µg D3 tablet in her basket was told "with
    your basket you get enough folic acid"). Not bought yet, such a line is credited with
    nothing: the warning says to take it out of the basket, and `instead:<SKU>` names what
    serves its need in its place (instead.py)."""
    known = ev.memo.get("basket_over_stage")
    if known is not None:
        return known  # type: ignore[no-any-return]
    lines = ev.resolved
    taken = {x.sku for x in lines if x.sku and not x.path.startswith("basket.")}
    out: set[int] = set()
    for found in ev.offer.failing.values():
        if found.kind != "life_stage_maximum" or found.maximum is None:
            continue
        # a basket line adds to the total above the maximum, whether or not what is taken
        # alone is above it already (review s34c 1: 30 µg taken and the folic acid + D3
        # tablet in the basket); the next pack of a product taken is that product's
        out.update(
            i
            for i in found.lines
            if lines[i].path.startswith("basket.") and lines[i].sku not in taken
        )
    result = ev.memo["basket_over_stage"] = frozenset(out)
    return result


def _warn_columns(ev: Evaluation) -> set[int]:
    """Nutrient columns whose day's total crosses the threshold of a warn-type interaction
    triggered for the person (interactions.yaml `warn`; the `interaction:<id>` notice), not
    one about timing only (`timing: true`: levothyroxine and calcium 4 h apart; the calcium
    taken is still enough)."""
    keys = ev.snapshot.reference.nutrients.keys
    out: set[int] = set()
    for interaction in ev.safety.triggered:
        if not interaction.timing:
            out |= set(over_threshold(interaction, keys, ev.intake))
    return out


def uncredited_columns(ev: Evaluation) -> set[int]:
    """Nutrient columns never called covered or enough, whichever line gives them: a total
    above an upper limit (with food where it counts), above the life stage's maximum, one an
    interaction excludes or warns of at the day's total. Their notices say what to do."""
    failing = ev.offer.failing
    out = {c for c, found in failing.items() if found.kind in ("interaction", "life_stage_maximum")}
    return out | set(over_room(ev).tolist()) | _warn_columns(ev)


def credited_intake(ev: Evaluation, column: int) -> tuple[float, bool] | None:
    """What may be called enough of a covered nutrient in `already_covered:<nutrient>`: (the
    amount a day, whether a basket line gives it) of the lines not warned about
    (`warned_lines`), where they alone give enough (any amount for a nutrient without one,
    scoring.yaml `lists.covered.when_taken`); None where they do not, or where the nutrient is
    never credited (`uncredited_columns`): the warnings say what to do (review 11 R11-9: a
    child's gummy is enough vitamin D by itself, the kids' multivitamin over the zinc limit
    beside it is no part of that)."""
    if column in uncredited_columns(ev):
        return None
    warned = warned_lines(ev)
    giving = [(i, line) for i, line in enumerate(ev.resolved) if line.amounts[column] > 0]
    credited = [line for i, line in giving if i not in warned]
    if len(credited) == len(giving):  # nothing warned about gives it: the whole intake
        amount = float(ev.intake[column])
    else:
        amount = float(sum(float(line.amounts[column]) for line in credited))
        enough = float(ev.offer.enough[column])
        if amount <= 0 or (not np.isnan(enough) and amount < enough * (1 - 1e-9)):
            return None
    return amount, any(line.path.startswith("basket.") for line in credited)


def with_unsuited_lines(ev: Evaluation, locale: str, notices: list[dict[str, Any]]) -> list:
    """`notices` with a `product_not_suited:<SKU>` for each unsuited line and each line an
    interaction excludes (unless one is there already: the life stage's), and without
    `already_covered` for what such a line gives."""
    unsuited = unsuited_taken(ev)
    conflicts = interaction_taken(ev)
    found = {i: unsuited.get(i, []) for i in sorted(set(unsuited) | set(conflicts))}
    if not found:
        return notices
    reference = ev.snapshot.reference
    keys = reference.nutrients.keys
    catalog = ev.snapshot.catalog
    write = TextWriter(reference, locale)
    given = {keys[int(c)] for i in found for c in np.flatnonzero(ev.resolved[i].amounts > 0)}
    out = [
        n
        for n in notices
        if not (n["code"].startswith(_COVERED) and n["code"][len(_COVERED) :] in given)
    ]
    covered = {keys[c] for c in ev.offer.covered}
    codes = {n["code"] for n in out}
    staged = set(ev.offer.unsuitable_lines)  # unsuitable in the life stage as a product
    for i, reasons in found.items():
        line = ev.resolved[i]
        code = f"product_not_suited:{line.sku}"
        if code in codes or line.sku is None:  # found has catalog lines only
            continue
        codes.add(code)
        product = catalog.products[catalog.index[line.sku]]
        text_key = "notice_product_unsuited"
        if line.path.startswith("basket."):
            text_key += "_basket"
        elif conflicts.get(i):  # whom to tell before stopping it (review s31a F3: the INR)
            text_key = switch_key(ev, (catalog.index[line.sku],), text_key)
        clash = conflicts.get(i, [])
        words = [write(f"unsuited_{r}") for r in reasons]
        if clash:
            words.insert(0, conflict_words(ev, clash, locale))
        if i in staged and "life_stage" not in reasons:
            # review s39a F2: a pregnant woman on a vitamin K antagonist was told only of her
            # women's multivitamin's vitamin K1, not of its retinol in pregnancy
            words.append(write(write.own_text("unsuited_life_stage", own_stage(ev.profile))))
        text = reference.text(
            text_key, locale, products=product.name[locale], reasons="; ".join(words)
        )
        # a conflicting nutrient has its own warning (intake_warning:<nutrient>)
        columns = [
            c for c, k in enumerate(keys) if k in covered and line.amounts[c] > 0 and c not in clash
        ]
        more = [reference.nutrients.name(keys[c], locale) for c in columns]
        # "a product with it can suit you" only where the profile has an advice of each (NaN
        # compares false; review 22 F4: vitamin K2 to a kidney patient nothing calls for)
        # and that what else is taken leaves open (re-review 22b m1: not beside a 20 µg D3)
        advised = all(ev.intake[c] - line.amounts[c] < ev.targets[c] for c in columns)
        # and not of a product that does not suit as a whole: "without vitamin K1" is not
        # enough where it does not suit the life stage either (review s39a F2)
        # nor where it does not suit for another reason too (re-review s39c F8: a fish allergy)
        instead = clash if advised and i not in staged and not reasons else []
        if more:
            text += " " + _more_text(ev, i, more, instead, locale)
        out.append({"code": code, "text": text})
    return out


def _names(ev: Evaluation, columns: list[int], locale: str) -> str:
    reference = ev.snapshot.reference
    keys = reference.nutrients.keys
    return reference.listed([reference.nutrients.name(keys[c], locale) for c in columns], locale)


def conflict_words(ev: Evaluation, columns: list[int], locale: str) -> str:
    """ "contains vitamin K2, not with your medicine or condition" (review 10 M1): why a
    product an interaction excludes does not suit, naming what conflicts."""
    key = interaction_key(ev, "notice_product_unsuited_interaction", columns)
    return ev.snapshot.reference.text(key, locale, nutrients=_names(ev, columns, locale))


def _more_text(ev: Evaluation, index: int, more: list[str], clash: list[int], locale: str) -> str:
    """What else the line gives that is covered: nothing more of it beside the line; for a line
    an interaction excludes, also that a product with it without the conflicting nutrient can
    suit (review 10 M1: the D3 + K2 drops are the only vitamin D of a woman on a vitamin K
    antagonist)."""
    reference = ev.snapshot.reference
    nutrients = reference.listed(more, locale)
    either = reference.listed(more, locale, "or")
    if not clash:
        return reference.text(
            "notice_product_unsuited_more", locale, nutrients=nutrients, nutrients_or=either
        )
    key = "notice_product_interaction_more"
    if ev.resolved[index].path.startswith("basket."):
        key += "_basket"
    conflicts = _names(ev, clash, locale)
    return reference.text(
        key, locale, nutrients=nutrients, nutrients_or=either, conflicts=conflicts
    )


def life_stage_line_notices(ev: Evaluation, locale: str) -> list[dict[str, str]]:
    """`product_not_suited:<SKU>` for each line whose product the catalog marks unsuitable in
    the life stage (`pregnancy_suitable: false`) and that no warning about a covered nutrient
    names with its cause: the product is unsuitable as a whole, so the notice names it, not a
    nutrient (review 9b F4: a women's multivitamin in pregnancy was warned about "folic acid
    400 µg a day ... we suggest no more folic acid", the nutrient pregnancy asks for, when its
    retinol is why). What it gives that is covered is named as not suggested beside it."""
    offer = ev.offer
    failing = offer.failing
    # named with its cause: by a warning whose cause holds for the line alone (the 75 µg
    # D3 + K2 above the 25 µg pregnancy maximum by itself, review s8 Q4); not by a total
    # it is only part of (review 10b F2: the women's multivitamin's 10 µg beside 25 µg drops)
    named = {
        i
        for c in offer.covered
        if c in failing and failing[c].kind != "life_stage"
        for i in failing[c].lines
        if failing[c].maximum is None or ev.resolved[i].amounts[c] > failing[c].maximum
    }
    reference = ev.snapshot.reference
    keys = reference.nutrients.keys
    catalog = ev.snapshot.catalog
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for index in offer.unsuitable_lines:
        line = ev.resolved[index]
        if index in named or line.sku is None or line.sku in seen:
            continue
        seen.add(line.sku)
        basket = line.path.startswith("basket.")
        key = "notice_product_life_stage" if basket else "notice_product_life_stage_taken"
        text = reference.text(
            reference.variant(key, own_stage(ev.profile)),  # her own life stage (s38a F4)
            locale,
            products=catalog.products[catalog.index[line.sku]].name[locale],
        )
        more = [
            reference.nutrients.name(keys[c], locale)
            for c in sorted(offer.covered)
            if line.amounts[c] > 0
        ]
        if more:
            text += " " + reference.text(
                "notice_product_unsuited_more",
                locale,
                nutrients=reference.listed(more, locale),
                nutrients_or=reference.listed(more, locale, "or"),
            )
        out.append({"code": f"product_not_suited:{line.sku}", "text": text})
    return out
