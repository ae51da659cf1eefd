"""The reasons of one item (split from advice_texts.py, session 30): every reason true for a
product and a profile in the customer's locale (`item_reasons`), and whether there is one
(`has_reason`, what choosing a replacement asks in every locale)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .advice import advice_of, claim_table
from .advice_config import CLAIM_CONDITION, DOCTOR
from .advice_extras import advice_without_doctor, capped_doctor_doses, unserved_gap
from .advice_texts import advice_phrase
from .amounts import rounded
from .fastnp import flatnonzero
from .needs import goal_unclaimed
from .reason_filters import (
    banded_amounts,
    quotes_far_below,
    says_something,
    without_repeated_sentences,
)
from .target_priority import priorities
from .warning_reasons import below_warning_reasons

if TYPE_CHECKING:
    from .ranking import Evaluation


def item_reasons(
    ev: Evaluation, index: int, locale: str, instead_of: str | None = None
) -> list[dict[str, str]]:
    """Every reason that is true for this product and this profile, each text once; for an
    alternative `instead_of` a product taken or in the basket, the day's totals without it
    (review 12 F1: "with the 10 µg from your other supplements" was the page product)."""
    reference = ev.snapshot.reference
    seen: set[str] = set()
    unique = []
    quoted = banded_amounts(ev, index, locale)
    for reason in _reasons(ev, index, locale, instead_of):
        # Defence in depth: a text that makes a disease claim is never shown.
        if reason["text"] in seen or reference.forbidden_match(reason["text"]) is not None:
            continue
        if quotes_far_below(reason["text"], quoted, ev.offer.config.factor):
            continue
        seen.add(reason["text"])
        unique.append(reason)
    return without_repeated_sentences(unique)


def has_reason(ev: Evaluation, index: int, locale: str) -> bool:
    """`bool(item_reasons(ev, index, locale))`, from the first reason that passes: a text once
    passes the filters, and `without_repeated_sentences` keeps at least one reason of those
    that say anything (the one left is said by no other kept). A replacement is chosen with
    a true reason in every locale (refills.replace.reasoned); its texts are not shown there."""
    reference = ev.snapshot.reference
    quoted = banded_amounts(ev, index, locale)
    for reason in _reasons(ev, index, locale):
        text = reason["text"]
        if reference.forbidden_match(text) is not None:
            continue
        if quotes_far_below(text, quoted, ev.offer.config.factor) or not says_something(text):
            continue
        return True
    return False


def _reasons(
    ev: Evaluation, index: int, locale: str, instead_of: str | None = None
) -> Iterator[dict[str, str]]:
    """The reasons `item_reasons` filters, in its order, each worked out when reached."""
    reference = ev.snapshot.reference
    offer = ev.offer
    # a doctor's dose we may not supply is never quoted as what an item serves (review s7 P7)
    capped, advice = capped_doctor_doses(ev), advice_of(ev)
    justified = [
        column
        for column in flatnonzero(
            (ev.snapshot.catalog.nutrients_per_day[index] > advice.ordinary_upper * (1 + 1e-9))
            & ~offer.above_band[index]
        ).tolist()
        if column not in capped
    ]
    for column in flatnonzero(offer.gap_need[index]).tolist():
        if column in justified and advice.authority.get(column) == DOCTOR:
            continue  # its dose_doctor reason says it, with the total (review 12 F19)
        reason = _advice_reason(ev, index, column, locale, column in capped, instead_of)
        if reason is not None:
            yield reason
    for column in justified:
        yield _justified_reason(ev, index, column, locale, instead_of)
    if instead_of is None:  # an alternative's day is without the page product: not said
        yield from below_warning_reasons(ev, index, locale)
    table = claim_table(ev.snapshot.catalog, reference)
    for rule in ev.matched_rules:
        if rule.mask[index] and rule.reason and rule.action in ("boost", "pin", "require"):
            if table.rule_fits(rule, reference)[index]:
                yield {"code": f"rule:{rule.id}", "text": rule.reason[locale]}
    goals = set(offer.goals)
    not_indicated = set(goal_unclaimed(offer))  # iron in pregnancy too (review s35a F5)
    for claim_id in table.claims[index]:
        claim = reference.claims[claim_id]
        if goals.intersection(claim.goals) and not not_indicated.intersection(claim.nutrients):
            yield {"code": f"claim:{claim_id}", "text": claim.text[locale]}
    if offer.learned_need[index]:
        yield {"code": "learned", "text": reference.text("reason_learned", locale)}


def _values(ev: Evaluation, index: int, column: int, locale: str) -> dict[str, Any]:
    """What the product gives of a nutrient; its form's name where it has one (review s8 R7)."""
    reference, key = ev.snapshot.reference, ev.snapshot.reference.nutrients.keys[column]
    amount = ev.snapshot.catalog.nutrients_per_day[index, column]
    values = reference.nutrients.text_values(key, locale, amount=amount)
    sources = ev.snapshot.catalog.products[index].vitamin_sources
    values["nutrient"] = reference.product_nutrient(sources, key, locale)
    return values


def _advice_reason(
    ev: Evaluation,
    index: int,
    column: int,
    locale: str,
    capped: bool = False,
    instead_of: str | None = None,
) -> dict[str, str] | None:
    """`fills_gap:<nutrient>` with the advice's authority; under a capped doctor's dose the
    advice without the doctor (pregnancy's 400 µg folic acid), or none where that has no gap."""
    reference = ev.snapshot.reference
    key = reference.nutrients.keys[column]
    values = _values(ev, index, column, locale)
    amount = float(ev.snapshot.catalog.nutrients_per_day[index, column])
    advice = advice_of(ev)
    if capped:
        if unserved_gap(ev, column) is None:
            return None
        advice = advice_without_doctor(ev)
    # with what the other supplements give (taken and basket), the day's total is what the
    # advice is about: 10 µg beside 9.5 µg taken is 19.5 µg, said so (session 12)
    taken = _other_supplements(ev, column, instead_of)
    above = amount + taken > float(advice.targets[column]) * (1 + 1e-9)
    above &= advice.authority.get(column) != CLAIM_CONDITION  # a claim's condition of use
    # is no advice (review s9 A7b)
    # past an aim of ours (targets.yaml priorities: 300 mg calcium for a vegan) the day is "more
    # than the amount we assume", not "the advised amount" (review 12 F18)
    ours = above and priorities(reference).is_ours(advice.target_ids.get(key))
    text_key = "reason_advice" + ("_taken" if taken else "") + ("_above" if above else "")
    text_key += "_ours" if ours else ""
    phrase = advice_phrase(ev, column, locale, advice)
    dose = capped_doctor_doses(ev).get(column) if capped else None
    if dose is not None and dose.kind == "life_stage":
        # towards the doctor's dose held at the life stage's maximum: not "more than the
        # advised amount" of the Health Council's 10 µg (review s29a F6: a doctor's 50 µg in
        # pregnancy), nor that advice on the 10 µg items beside (review s29b F2)
        text_key = "reason_advice" + ("_taken" if taken else "") + "_doctor_capped"
        phrase = ""
        values |= reference.nutrients.text_values(key, locale, maximum=dose.limit)
    text = reference.text(
        text_key, locale, **values, **_with_taken(ev, column, locale, amount, taken), advice=phrase
    )
    return {"code": f"fills_gap:{key}", "text": text}


def _other_supplements(ev: Evaluation, column: int, instead_of: str | None = None) -> float:
    """What the supplements taken and the basket give of a column a day (without the lines of
    the product `instead_of`, and of the products the answer says do not suit the person:
    review s30a F3, s30c F7, "with the 10 µg from your other supplements" of a calcium + D3
    not meant for a child of 2 beside the drops); 0 where that reads as 0 (a label's 1e-300
    µg). Every limit still counts all of it (the item's safety, its warnings)."""
    from .line_notices import unsuited_taken

    unsuited = {*unsuited_taken(ev), *ev.offer.unsuitable_lines}
    taken = float(ev.intake[column]) - sum(
        float(x.amounts[column])
        for k, x in enumerate(ev.resolved)
        if k in unsuited or (instead_of is not None and x.sku == instead_of)
    )
    return taken if rounded(taken) > 0 else 0.0


def _with_taken(
    ev: Evaluation, column: int, locale: str, amount: float, taken: float
) -> dict[str, Any]:
    """`taken` and the day's `total` with this product, as texts quote them."""
    if not taken:
        return {}
    key = ev.snapshot.reference.nutrients.keys[column]
    values = ev.snapshot.reference.nutrients.text_values(
        key, locale, taken=taken, total=amount + taken
    )
    return {"taken": values["taken"], "total": values["total"]}


def _justified_reason(
    ev: Evaluation, index: int, column: int, locale: str, instead_of: str | None = None
) -> dict[str, str]:
    reference = ev.snapshot.reference
    key = reference.nutrients.keys[column]
    values = _values(ev, index, column, locale)
    advice = advice_of(ev)
    if advice.justified_by.get(column) == DOCTOR or column in advice.doctor:
        advised = rounded(advice.doctor.get(column, float(advice.targets[column])))
        amount = float(ev.snapshot.catalog.nutrients_per_day[index, column])
        taken = _other_supplements(ev, column, instead_of)
        text = reference.text(
            "reason_dose_doctor" + ("_taken" if taken else ""),
            locale,
            **values,
            **_with_taken(ev, column, locale, amount, taken),
            advised=advised,
        )
        return {"code": f"dose_doctor:{key}", "text": text}
    serum = rounded(advice.serum) if advice.serum is not None else 0
    text = reference.text("reason_dose_serum", locale, **values, serum=serum)
    return {"code": f"dose_serum:{key}", "text": text}
