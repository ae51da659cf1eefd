"""A doctor's dose the list can serve only in part (session 11): a doctor advised 100 µg of
vitamin D a day; the safe upper limit of 100 µg for total intake leaves room for 93 µg beside
the food allowance, and a food supplement may give at most 75 µg per daily dose in NL, so the
list's vitamin D products give 75 µg. Each item's reason said "your doctor advised 100 µg;
this product gives 75 µg", which reads as an invitation to add a second product for the rest.
`doctor_dose_short:<nutrient>` says how far our products reach, why, and that the rest is a
matter for the doctor or pharmacist, not a second product.

Doses above the upper limit itself, or above a life stage's maximum, have their own notice
(`doctor_dose_capped`, advice_extras.capped_doctor_doses); so has a dose no suitable product
comes near (`advice_unmet`, advice_extras.doctor_band_unmet). The texts are data (texts.yaml
`notice_doctor_dose_short`, `doctor_short_*`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .advice import advice_of
from .advice_config import DOCTOR
from .advice_extras import capped_doctor_doses, doctor_band_unmet
from .amounts import above, rounded
from .day_totals import interaction_key, lowest_warning_thresholds
from .dose_answers import (
    alone_within_room,
    answers_a_dose,
    excluded_by_interaction,
    suits_the_person,
    warned_past_dose,
)

if TYPE_CHECKING:
    from .ranking import Evaluation


def doctor_excluded_notices(ev: Evaluation, locale: str) -> list[dict[str, str]]:
    """`doctor_dose_excluded:<nutrient>`: a doctor's dose of a nutrient that one of the
    person's medicines or conditions keeps out of every list (interactions.yaml `exclude`).
    Kidney disease beside a doctor's 20 µg vitamin D got "no product that suits you and stays
    close to that dose ... ask which product to take", and levothyroxine beside a doctor's
    150 µg iodine no word on the dose (review 12 F11): the interaction's notice says why; this
    one says that the dose is one for the doctor or pharmacist to supply."""
    advice = advice_of(ev)
    if not advice.doctor or not ev.safety.triggered:
        return []
    reference = ev.snapshot.reference
    keys = reference.nutrients.keys
    excluded = excluded_by_interaction(ev)
    skip = set(capped_doctor_doses(ev)) | set(ev.offer.covered)
    notices = []
    for column, advised in sorted(advice.doctor.items()):
        key = keys[column]
        if column not in excluded or column in skip or not above(advised, ev.intake[column]):
            continue
        values = reference.nutrients.text_values(key, locale, advised=advised)
        text_key = interaction_key(ev, "notice_doctor_dose_excluded", [column])
        text = reference.text(text_key, locale, **values)
        notices.append({"code": f"doctor_dose_excluded:{key}", "text": text})
    return notices


def doctor_short_reach(ev: Evaluation) -> dict[int, tuple[float, float]]:
    """{column: (taken, offered)} for each doctor's dose (the target; not capped, band-unmet
    or covered) that what is taken plus the most one list candidate gives, `offered`, stays
    below: its `doctor_dose_short` notice says how far one product reaches and, where an upper
    limit holds, not to make up the rest with a second product. A regimen adds no more of it
    than `offered` (regimen_problem.offer_caps; review 15: a pregnancy multivitamin and an
    iodine tablet, 300 µg for a doctor's 200 µg, beside that notice)."""
    return _doctor_short(ev)[0]


def _doctor_short(ev: Evaluation) -> tuple[dict[int, tuple[float, float]], set[int]]:
    """(`doctor_short_reach`, the doctor's-dose columns no list candidate gives)."""
    known = ev.memo.get("doctor_short")
    if known is not None:
        return known
    from .ranking import list_candidates  # ranking reads the notices of this module

    advice, offer, out, none = advice_of(ev), ev.offer, {}, set()
    skip = set(capped_doctor_doses(ev)) | set(doctor_band_unmet(ev)) | set(offer.covered)
    skip |= set(doctor_warned(ev))
    candidates = list_candidates(ev)
    per_day = ev.snapshot.catalog.nutrients_per_day
    for column, advised in sorted(advice.doctor.items()):
        if column in skip or advice.authority.get(column) != DOCTOR:
            continue
        giving = per_day[candidates, column]
        giving = giving[giving > 0]
        if not giving.size:
            none.add(column)
            continue
        taken, offered = float(ev.intake[column]), float(giving.max())
        if above(advised, taken + offered):
            out[column] = (taken, offered)
    ev.memo["doctor_short"] = out, none
    return out, none


def doctor_short_notices(ev: Evaluation, locale: str) -> list[dict[str, str]]:
    """`doctor_dose_short:<nutrient>` where what is taken plus the most one product we may
    offer gives stays below the doctor's dose (`doctor_short_reach`), or no product fits on
    top (`no_product_on_top`)."""
    advice = advice_of(ev)
    if not advice.doctor:
        return []
    reference = ev.snapshot.reference
    keys = reference.nutrients.keys
    maxima = reference.market_maxima.applied(ev.profile.country)
    short, none_gives = _doctor_short(ev)
    notices = _warned_notices(ev, locale)
    for column, advised in sorted(advice.doctor.items()):
        if column in none_gives and column in no_product_on_top(ev):
            notices += _none_fits(ev, column, float(advised), locale)
        if column not in short:
            continue
        taken, offered = short[column]
        key = keys[column]
        room = float(ev.safety.room[column])  # the limit less the food allowance; NaN: none
        larger, instead = (
            _instead(ev, column, float(advised), taken + offered) if taken > 0 else (False, None)
        )
        values = reference.nutrients.text_values(
            key, locale, advised=advised, reach=taken + offered, taken=taken
        )
        amounts = (float(advised), taken, offered)
        why = _why(ev, column, amounts, maxima.get(key), locale, larger)
        if instead is not None:  # one product instead of what is taken (review 12 F7, F19)
            index, amount = instead
            close = reference.text(
                "doctor_short_close_instead",
                locale,
                **reference.nutrients.text_values(key, locale, instead=amount),
                product=ev.snapshot.catalog.products[index].name[locale],
            )
        else:
            # what is taken already makes any product a second one; with no upper limit, more
            # is no safety matter: whom to ask, not "no second product" (review 11 R11-7, 11)
            close_key = "doctor_short_close" + ("_taken" if taken > 0 else "")
            if np.isnan(room):
                close_key = "doctor_short_close_open"
            close = reference.text(close_key, locale, **values)
        head = "notice_doctor_dose_short" + ("_taken" if taken > 0 else "")
        text = reference.text(head, locale, **values, why=why) + " " + close
        notices.append({"code": f"doctor_dose_short:{key}", "text": text})
    return notices


def doctor_warned(ev: Evaluation) -> dict[int, float]:
    """{column: the doctor's dose} for each doctor's dose (not capped or covered, not kept out
    by an interaction, above what is taken) that our products for it would go past beside a
    medicine's or condition's warning of that nutrient (dose_answers.warned_past_dose): a
    thiazide user's doctor advised 250 mg calcium, our calcium products give 400 mg and more
    (left open in s20), and no product for it within the dose is offered. Its notice says so; no
    "at most" of a product the list does not offer for it, and no cap for a regimen, whose
    servings may meet the dose."""
    known = ev.memo.get("doctor_warned")
    if known is not None:
        return known
    from .ranking import list_candidates  # ranking reads the notices of this module

    advice, offer, out = advice_of(ev), ev.offer, {}
    if advice.doctor and lowest_warning_thresholds(ev):
        skip = set(capped_doctor_doses(ev)) | set(offer.covered) | excluded_by_interaction(ev)
        candidates = list_candidates(ev)
        for column, advised in sorted(advice.doctor.items()):
            if column in skip or advice.authority.get(column) != DOCTOR:
                continue
            # one for it within the dose is offered: doctor_dose_short says how far it reaches
            role = offer.role_table.nutrient_role[column]
            if (candidates & (offer.roles == role)).any():
                continue
            if above(advised, ev.intake[column]) and warned_past_dose(ev, column):
                out[column] = float(advised)
    ev.memo["doctor_warned"] = out
    return out


def _warned_notices(ev: Evaluation, locale: str) -> list[dict[str, str]]:
    """`advice_unmet:<nutrient>` for `doctor_warned` (texts.yaml `notice_doctor_dose_warned`)."""
    reference = ev.snapshot.reference
    notices = []
    for column, advised in doctor_warned(ev).items():
        key = reference.nutrients.keys[column]
        values = reference.nutrients.text_values(key, locale, advised=advised)
        text = reference.text("notice_doctor_dose_warned", locale, **values)
        notices.append({"code": f"advice_unmet:{key}", "text": text})
    return notices


def _instead(
    ev: Evaluation, column: int, advised: float, reach: float
) -> tuple[bool, tuple[int, float] | None]:
    """(whether a product that suits the person comes, alone, closer to the doctor's dose than
    what is taken plus one product on top, `reach`, without passing it; the product to take
    instead of what is taken: (index, amount), the highest ranked of the largest such amount,
    or None). A doctor's 50 µg beside 20 µg drops: the 50 µg products go past the dose beside
    the drops, and the notice said "no product that suits your profile gives more than 25 µg"
    (review 12 F7). The one named is not a product taken (half a 75 µg tablet) and is like for
    like: it gives the nutrients of the lines it replaces and no other (a men's multivitamin
    with 20 µg vitamin D is not replaced by a plain 75 µg D3, nor plain drops by a D3 + K2)."""
    per_day = ev.snapshot.catalog.nutrients_per_day
    # alone: within the dose band and the room every limit leaves beside food
    band = advice_of(ev).band_upper * (1 + 1e-9)
    fits = suits_the_person(ev) & ((per_day <= band) | (per_day == 0)).all(axis=1)
    fits &= alone_within_room(ev)
    gives = per_day[:, column]
    fits &= above(gives, reach) & ~above(gives, advised)
    larger = bool(fits.any())
    taken = ev.safety.excluded.get("already_taken")
    if taken is not None:
        fits &= ~taken
    replaced = [line.amounts > 0 for line in ev.resolved if line.amounts[column] > 0]
    if replaced:
        same = np.logical_or.reduce(replaced)
        fits &= (per_day[:, same] > 0).all(axis=1) & (per_day[:, ~same] == 0).all(axis=1)
    if not fits.any():
        return larger, None
    best = gives[fits].max()
    choices = np.flatnonzero(fits & (gives >= best * (1 - 1e-9)))
    index = int(choices[np.argmax(ev.raw[choices])])  # the list's order
    return larger, (index, float(best))


def _why(
    ev: Evaluation,
    column: int,
    amounts: tuple[float, float, float],
    maximum: float | None,
    locale: str,
    past: bool = False,
) -> str:
    """What keeps the answer below the dose (`amounts`: advised, taken, the most one product
    offered gives): the room the upper limit leaves beside the food allowance and what is
    taken, where it is below the dose; the market's maximum per daily dose where that is what
    stops the product; else our range (review 11 R11-11: only what applies), or, where a larger
    product would do instead of what is taken (`past`), that what is taken stops it."""
    reference = ev.snapshot.reference
    key = reference.nutrients.keys[column]
    advised, taken, offered = amounts
    parts = []
    room = float(ev.safety.room[column])  # the limit less the food allowance; NaN: no limit
    if not np.isnan(room) and above(advised, room):
        values = reference.nutrients.text_values(
            key,
            locale,
            food=ev.safety.food[column],
            upper_limit=ev.limits[column],
            room=max(room - taken, 0.0),
            taken=taken,
        )
        parts.append(reference.text(_room_key(ev, column, taken), locale, **values))
    law = np.inf if maximum is None else maximum
    # what a product on top may give: the rest of the dose, or the room left where smaller
    up_to = max(advised - taken if np.isnan(room) else min(advised, room) - taken, 0.0)
    if not above(law, offered):  # the law stops the product where it stops
        values = reference.nutrients.text_values(key, locale, maximum=law)
        market = ev.profile.country
        parts.append(reference.text("doctor_short_market", locale, **values, market=market))
    elif not (np.isnan(room) or above(room - taken, offered)):
        pass  # the room left stops it there: said above
    elif past:  # neither stops a larger product alone: what is taken beside it does
        values = reference.nutrients.text_values(key, locale, advised=advised, taken=taken)
        parts.append(reference.text("doctor_short_past", locale, **values))
    elif warned_past_dose(ev, column):  # a medicine's warning keeps out the larger ones
        values = reference.nutrients.text_values(key, locale)
        parts.append(reference.text("doctor_short_warned", locale, **values))
    elif _larger_past(ev, column, offered, up_to):
        # review s30a F4: larger products suit the person, the room or the dose keeps them out
        # (a doctor's 100 µg in DE: 92 µg of room, 75 and 100 µg products), none is between
        values = reference.nutrients.text_values(key, locale, offered=offered, up_to=up_to)
        parts.append(reference.text("doctor_short_between", locale, **values))
    else:  # neither the limit nor the law stops it at `offered`: our range does
        values = reference.nutrients.text_values(key, locale, offered=offered)
        parts.append(reference.text("doctor_short_range", locale, **values))
    return reference.listed(parts, locale)


def _larger_past(ev: Evaluation, column: int, offered: float, up_to: float) -> bool:
    """Whether a product that may answer the dose (`answers_a_dose`) gives more than `offered`
    and every such one more than `up_to` (what is left of the doctor's dose or of the room the
    limit leaves beside food, beside what is taken, the smaller): then "no product that suits
    your profile gives more than {offered}" is not true, "none gives between {offered} and
    {up_to}" is (review s30a F4; a doctor's 30 µg in BE beside 25 and 50 µg products too)."""
    gives = ev.snapshot.catalog.nutrients_per_day[answers_a_dose(ev, column), column]
    larger = gives[above(gives, offered)]
    return bool(larger.size) and bool(above(larger, up_to).all())


def no_product_on_top(ev: Evaluation) -> dict[int, float]:
    """{column: the smallest amount a product that may answer the dose gives} for each doctor's
    dose (not capped, band-unmet or covered) that no list candidate gives and where every such
    product gives more than the room the upper limit leaves beside food and what is taken
    (review 11 R11-8: a doctor's 12 mg zinc, 9 mg of room beside 16 mg from food, our smallest
    zinc 10 mg). Its notice says "we suggest no product on top", so a regimen adds none of it
    either (review 14: a calcium + magnesium tablet at one of two servings, to the 250 mg
    limit, for the 30 mg a doctor's 180 mg left beside 150 mg taken)."""
    known = ev.memo.get("no_product_on_top")
    if known is not None:
        return known
    advice, out = advice_of(ev), {}
    skip = set(capped_doctor_doses(ev)) | set(doctor_band_unmet(ev)) | set(ev.offer.covered)
    skip |= set(doctor_warned(ev))
    per_day = ev.snapshot.catalog.nutrients_per_day
    for column, advised in sorted(advice.doctor.items()):
        taken, room = float(ev.intake[column]), float(ev.safety.room[column])
        if column in skip or advice.authority.get(column) != DOCTOR or np.isnan(room):
            continue
        amounts = per_day[answers_a_dose(ev, column) & (per_day[:, column] > 0), column]
        if above(advised, taken) and amounts.size and above(amounts, room - taken).all():
            out[column] = float(amounts.min())
    ev.memo["no_product_on_top"] = out
    return out


def blocked_by_doctor_notice(ev: Evaluation) -> np.ndarray:
    """Products giving a nutrient of `no_product_on_top` (a regimen adds none of them)."""
    per_day = ev.snapshot.catalog.nutrients_per_day
    columns = sorted(no_product_on_top(ev))
    return np.asarray((per_day[:, columns] > 0).any(axis=1), dtype=bool)


def _none_fits(ev: Evaluation, column: int, advised: float, locale: str) -> list[dict[str, str]]:
    """`doctor_dose_short:<nutrient>` for a column of `no_product_on_top`: the room left and
    our smallest product that may answer the dose (it said "no product that suits your age")."""
    reference = ev.snapshot.reference
    key = reference.nutrients.keys[column]
    taken = float(ev.intake[column])
    room = float(ev.safety.room[column])
    left = max(room - taken, 0.0)
    values = reference.nutrients.text_values(
        key,
        locale,
        advised=advised,
        food=ev.safety.food[column],
        upper_limit=ev.limits[column],
        room=left,
        taken=taken,
        smallest=no_product_on_top(ev)[column],
    )
    why = reference.text(_room_key(ev, column, taken), locale, **values)
    head = "notice_doctor_dose_none" + ("_taken" if taken > 0 else "")  # review 12 F21
    text = reference.text(head, locale, **values, why=why)
    return [{"code": f"doctor_dose_short:{key}", "text": text}]


def _room_key(ev: Evaluation, column: int, taken: float) -> str:
    """doctor_short_room's text: with the food allowance where there is one; without it (the
    magnesium limit is for supplements only) no "up to 0 mg from ordinary food ... for total
    intake" (session 12); `_taken` where supplements are taken."""
    food = "" if rounded(float(ev.safety.food[column])) > 0 else "_nofood"
    return "doctor_short_room" + food + ("_taken" if taken > 0 else "")
