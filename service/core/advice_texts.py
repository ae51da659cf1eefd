"""The advice's texts for one item or list: reasons, notices, the dose band view and the
exclusion texts (explain), in the customer's locale."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .advice import ProfileAdvice, advice_of
from .advice_config import DOCTOR, advice_config
from .advice_extras import (
    advice_blocked_by_interaction,
    capped_doctor_doses,
    doctor_band_notices,
    doctor_band_unmet,
    unmet_advice,
)
from .advice_open import served_beside_a_warning, served_by_what_is_taken, waiting_notices
from .amounts import above
from .children import (
    child_diet_notices,
    one_source_no_items,
    one_source_notices,
    two_sources,
    two_sources_warnings,
)
from .day_totals import basket_out, caution_notices, infant, interaction_key, over_room
from .doctor_reach import doctor_excluded_notices, doctor_short_notices
from .failing import doctor_covers
from .intake import shown_name
from .line_notices import (
    basket_over_stage,
    credited_intake,
    life_stage_line_notices,
    unsuited_taken,
)
from .needs import warned_out_by
from .reference import own_stage
from .serum_texts import deficient_column, serum_notices

if TYPE_CHECKING:
    from .ranking import Evaluation


# ---------------------------------------------------------------- texts
def advice_phrase(
    ev: Evaluation, column: int, locale: str, advice: ProfileAdvice | None = None
) -> str:
    """The authority's phrase for the advice of a nutrient (the profile's, or `advice`)."""
    reference = ev.snapshot.reference
    config = advice_config(reference)
    key = reference.nutrients.keys[column]
    advice = advice or advice_of(ev)
    authority = advice.authority.get(column, "dosewise")
    phrase = config.authorities.get(authority) or config.authorities[DOCTOR]
    return phrase[locale].format(
        **reference.nutrients.text_values(key, locale, target=advice.targets[column]),
    )


def advice_notices(ev: Evaluation, locale: str) -> list[dict[str, str]]:
    """Already covered nutrients; warnings where what is taken or in the basket fails a
    guarantee for the person (never "enough", R3/R10); no advice at all for this profile."""
    reference = ev.snapshot.reference
    keys = reference.nutrients.keys
    notices = []
    offer = ev.offer
    enough = offer.enough
    failing = offer.failing
    capped, deficient = capped_doctor_doses(ev), deficient_column(ev)
    for column in offer.covered:
        key = keys[column]
        found = failing.get(column)
        if found is not None:
            # a product unsuitable in the life stage as a whole: its own notice, below
            if found.kind == "life_stage":
                continue
            if _listed(ev, column, found):
                notices.append(_warning_notice(ev, column, found, locale))
            continue
        # never of a line the answer warns about (review 11 R11-3, R11-9): what the others
        # give, where that alone is enough; else none (the warnings say what to do)
        credit = credited_intake(ev, column)
        if credit is None:
            continue
        amount, basket = credit
        # "enough" only where there is an amount to be enough of (scoring.yaml lists.covered);
        # the basket is not yet taken: a basket line makes the text say "with your basket"
        text_key = "notice_already_taken" if np.isnan(enough[column]) else "notice_already_covered"
        # beside a doctor's dose we may not supply, enough for the general advice (review 14);
        # beside a measured deficiency, not "enough": the doctor decides (review 23p #2)
        if column in capped and text_key == "notice_already_taken":
            continue  # no "no advised amount" beside a doctor's dose (its notice speaks; CI s35)
        serum = column == deficient and text_key == "notice_already_covered"
        text_key += "_general" if column in capped else "_serum" if serum else ""
        text_key += "_basket" if basket else ""
        medicine = reference.market_maxima.medicine_above.get(key)
        if text_key.startswith("notice_already_taken") and amount > (medicine or np.inf):
            # a medicine's dose, not "you already take" a supplement (review s39a F6: a typed-in
            # 45 mg MK-4 was "already enough vitamin K2"; product_maxima.yaml medicine_above)
            text_key = reference.variant(text_key, "medicine")
        values = reference.nutrients.text_values(key, locale, amount=amount)
        # a baby's, not "you already take" (review s44b F9)
        text = reference.text(infant(ev, text_key), locale, **values)
        notices.append({"code": f"already_covered:{key}", "text": text})
    notices += life_stage_line_notices(ev, locale)
    notices += doctor_dose_notices(ev, locale)
    notices += child_diet_notices(ev, locale) + one_source_notices(ev, locale, advice_phrase)
    two = [{"code": w["code"], "text": w["text"]} for w in two_sources_warnings(ev, locale)]
    if two:  # "keep one of them", not "you get enough" of the two (re-review 19c F4)
        kept = {"already_covered:" + n["code"].split(":", 1)[1] for n in two}
        notices = [n for n in notices if n["code"] not in kept] + two
    notices += _advice_unmet(ev, locale)
    notices += caution_notices(ev, locale)  # a basket line's own caution (review s39c F4)
    said = {n["code"].partition(":")[2] for n in notices}  # nutrients named (re-review 22)
    notices += waiting_notices(ev, locale, advice_phrase, said)  # a limit (s20), an age
    if not (advice_of(ev).targets > 0).any():  # NaN (no advice) is not above 0
        # a condition whose care sets the amounts has its own words (review s32a F4: after
        # bariatric surgery "no advised amount" beside "supplements for life")
        own = [f"notice_no_advice.{i.id}" for i in ev.safety.triggered]
        key = next((k for k in own if k in reference.texts), "notice_no_advice")
        notices.append({"code": "no_advice", "text": reference.text(key, locale)})
    notices += serum_notices(ev, locale)
    return notices


def no_items_notice(ev: Evaluation, locale: str) -> dict[str, str]:
    """`no_items` of an empty list, saying why (the plain list, and a placement that is the
    profile's list: review s7 P10): what is taken or in the basket fails a guarantee (its
    warning stands, s6 T8); a condition or medication keeps out every product for an advice
    of the profile (the interaction's notice says to ask the doctor); safe products but none
    for a need: beside a doctor's dose we cannot supply (its notice above) empty apart from it,
    else "tell us more"; else nothing safely fits."""
    safe_without_need = _safe_without_need(ev)
    if safe_without_need and (
        any(ev.intake[c] > 0 for c in ev.offer.failing)
        or _unsuited_serve_advice(ev)
        or two_sources(ev)
    ):
        key = "notice_no_items_warning"
    elif not ev.over_limit_now and advice_blocked_by_interaction(ev):
        key = interaction_key(ev, "notice_no_items_condition")
    elif not ev.over_limit_now and warned_out_by(ev.offer):  # a goal's or rule's (s20)
        key = "notice_no_items_warned"
    elif one := one_source_no_items(ev, locale, advice_phrase):  # a child's one product (s19)
        return one
    elif safe_without_need and deficient_column(ev) is not None:  # the doctor's (23p #2)
        key = "notice_no_items_serum"
    elif safe_without_need and (
        capped_doctor_doses(ev) or doctor_band_unmet(ev) or doctor_short_notices(ev, locale)
    ):
        key = "notice_no_items_doctor"
    elif safe_without_need and ev.memo.get("goal_served") and ev.profile.goals:  # (s26b B3)
        # not beside a limit what is taken crosses (review s27 F2); "with your basket" where
        # nothing is taken (F3)
        key = "notice_no_items_goal_served" + ("" if takes_something(ev) else "_basket")
    elif served_by_what_is_taken(ev, safe_without_need):  # covered, nothing unsafe (s28 F5)
        basket = any(line.path.startswith("basket.") for line in ev.resolved)
        taken = "_both" if takes_something(ev) else ""
        key = "notice_no_items_covered" + (f"_basket{taken}" if basket else "")
    elif safe_without_need and ev.memo.get("goal_served"):
        key = "notice_no_items_goal_served" + ("" if takes_something(ev) else "_basket")
    elif safe_without_need and (beside := served_beside_a_warning(ev)):  # review s30a F2
        key = "notice_no_items_covered" + ("_warned" if beside == "medicine" else "")
    elif safe_without_need:
        key = "notice_no_items_no_need"
    else:
        return plain_no_items_notice(ev, locale)
    return {"code": "no_items", "text": ev.snapshot.reference.text(infant(ev, key), locale)}


def _unsuited_serve_advice(ev: Evaluation) -> bool:
    """A product taken that does not suit the person (allergy, diet, age: `product_not_suited`,
    "beside it we suggest no more vitamin D") gives a nutrient of the profile's advice: that
    warning, not a lack of need, is why nothing is offered (review 12 F12: a fish-oil D3 with a
    fish allergy at 72 got "we found no product for a need in your profile, tell us more")."""
    unsuited = unsuited_taken(ev)
    if not unsuited:
        return False
    advised = ev.targets_or_zero > 0
    return any((ev.resolved[i].amounts[advised] > 0).any() for i in unsuited)


def plain_no_items_notice(ev: Evaluation, locale: str) -> dict[str, str]:
    """`no_items` "nothing safely fits", naming what is taken only where something is (review
    s8 Q7: "... and what you already take" to a man who takes nothing): your profile and what
    you take, your profile and your basket, or your profile alone."""
    if takes_something(ev):
        key = "notice_no_items"
    elif ev.resolved:
        key = "notice_no_items_basket"
    else:
        key = "notice_no_items_profile"
    return {"code": "no_items", "text": ev.snapshot.reference.text(infant(ev, key), locale)}


def takes_something(ev: Evaluation) -> bool:
    """A line of the request is taken now (not only in the basket): the empty list's texts
    say "what you already take", else "with your basket"."""
    return any(not line.path.startswith("basket.") for line in ev.resolved)


def _safe_without_need(ev: Evaluation) -> bool:
    """Products were safe and within the band, but the profile has no need they serve."""
    if ev.over_limit_now or over_room(ev).size:  # no room left is no missing need (s5 S4)
        return False
    offer = ev.offer
    safe = ev.safety.allowed() & ~ev.rule_excluded & ev.rule_required & offer.within_band
    return bool((safe & ~offer.duplicate).any())


def doctor_dose_notices(ev: Evaluation, locale: str) -> list[dict[str, str]]:
    """`doctor_dose_capped:<nutrient>` (R15b, review s7 P7): a doctor's advised dose above the
    profile's upper limit (`notice_doctor_dose_upper_limit`: we cannot supply it as a food
    supplement, it comes from the doctor or pharmacy) or above the life stage's maximum
    (product_maxima.yaml `life_stages`: the maximum still holds, the dose is one to discuss
    with the doctor or midwife). Never a silent cap; the limit is never lifted. Regimens say
    the same (regimen.py)."""
    reference = ev.snapshot.reference
    keys = reference.nutrients.keys
    notices = []
    for column, capped in capped_doctor_doses(ev).items():
        if capped.kind == "upper_limit":
            values = reference.nutrients.text_values(
                keys[column], locale, advised=capped.advised, upper_limit=capped.limit
            )
            text = reference.text("notice_doctor_dose_upper_limit", locale, **values)
        elif capped.kind == "medicine":  # review s31a F4: 45 mg of vitamin K2
            values = reference.nutrients.text_values(keys[column], locale, advised=capped.advised)
            text = reference.text("notice_doctor_dose_medicine", locale, **values)
        else:
            values = reference.nutrients.text_values(
                keys[column], locale, advised=capped.advised, maximum=capped.limit
            )
            text = reference.text("notice_doctor_dose_capped", locale, **values)
        notices.append({"code": f"doctor_dose_capped:{keys[column]}", "text": text})
    notices += doctor_band_notices(ev, locale)  # no product near the dose (review s9 F3)
    notices += doctor_excluded_notices(ev, locale)  # a medicine keeps it out (review 12 F11)
    return notices + doctor_short_notices(ev, locale)  # reached in part only (session 11)


def _advice_unmet(ev: Evaluation, locale: str) -> list[dict[str, str]]:
    """`advice_unmet:<nutrient>` (review s7 P8): an advice no product may serve for the
    profile's own reason (targets.yaml `unmet_advice_notices`): says so and whom to ask."""
    reference = ev.snapshot.reference
    stage = ev.profile.life_stage != "none"
    notices = []
    for column, entry in unmet_advice(ev):
        key = reference.nutrients.keys[column]
        text = reference.text(
            infant(ev, entry.text_life_stage if stage else entry.text),
            locale,
            nutrient=reference.nutrients.name(key, locale),
            advice=advice_phrase(ev, column, locale),
        )
        notices.append({"code": f"advice_unmet:{key}", "text": text})
    return notices


def line_names(ev: Evaluation, lines: tuple[int, ...], locale: str) -> str:
    """The products of those lines as the customer knows them: catalog name, else the label."""
    names: list[str] = []
    for i in lines:
        line = ev.resolved[i]
        name = shown_name(line, ev.snapshot, locale)
        if name not in names:
            names.append(name)
    return ev.snapshot.reference.listed(names, locale)


def intake_warning_notices(
    ev: Evaluation, locale: str, listed: bool = False
) -> list[dict[str, str]]:
    """The list's `intake_warning:<nutrient>` notices alone (regimens quote the same, S5), and
    its `product_not_suited:<SKU>` of a product unsuitable in the life stage (review 9b F4);
    `listed`: only those the list shows (/refills, without working out the list's notices)."""
    failing = ev.offer.failing
    return [
        _warning_notice(ev, c, failing[c], locale)
        for c in ev.offer.covered
        if c in failing
        and failing[c].kind != "life_stage"
        and (not listed or _listed(ev, c, failing[c]))
    ] + life_stage_line_notices(ev, locale)


def _listed(ev: Evaluation, column: int, found: Any) -> bool:
    """Whether the list shows the warning of `found`: above the upper limit (with food where
    it counts) the limit's notice says it (ranking.profile_notices), not the milder dose
    band's wording (review s5 S4)."""
    return found.kind != "dose_band" or not above(ev.intake[column], ev.safety.room[column])


def _warning_notice(
    ev: Evaluation, column: int, found: Any, locale: str, suffix: str = "", **more: str
) -> dict[str, str]:
    """`intake_warning:<nutrient>`: what is taken or in the basket fails a guarantee for the
    person (an interaction, the life stage's maximum, the dose band): it names
    the products and says whom to ask, instead of "you already take enough"."""
    reference = ev.snapshot.reference
    key = reference.nutrients.keys[column]
    values = reference.nutrients.text_values(
        key, locale, amount=ev.intake[column], maximum=found.maximum or 0.0
    )
    text_key = _warning_key(reference, found, ev.profile.country) + suffix
    if found.kind == "life_stage_maximum":  # her own life stage (review s39d F3)
        text_key = reference.variant(text_key, own_stage(ev.profile))
        if found.maximum and doctor_covers(ev, column):  # her doctor's dose (s44b F4)
            text_key = "notice_intake_life_stage_maximum_doctor"
    text = reference.text(
        text_key,
        locale,
        products=line_names(ev, found.lines, locale),
        **values,
        **more,
    )
    if found.kind == "life_stage_maximum" and found.maximum == 0:
        text += _label_gives_more(ev, column, found, locale)
    # which to take out of the basket, unless the upper limit's notice says it already
    stage = found.kind == "life_stage_maximum" and found.maximum is not None
    if stage and column not in over_room(ev):
        carted = [ev.resolved[i] for i in found.lines if i in basket_over_stage(ev)]
        text += basket_out(ev, column, carted, locale, float(found.maximum))
    return {"code": f"intake_warning:{key}", "text": text}


def _label_gives_more(ev: Evaluation, column: int, found: Any, locale: str) -> str:
    """After the warning of a nutrient the life stage allows none of (retinol in pregnancy):
    what else an advised nutrient a typed-in line of it gives, which counts for nothing now,
    and to ask for a product without it in its place (review s44a F3: a typed-in women's
    multivitamin was her folic acid, vitamin D and iodine, and nothing said so)."""
    reference = ev.snapshot.reference
    keys = reference.nutrients.keys
    labels = [ev.resolved[i] for i in found.lines if ev.resolved[i].sku is None]
    advised = advice_of(ev).targets
    more = [
        reference.nutrients.name(keys[c], locale)
        for c in range(len(keys))
        if c != column and advised[c] > 0 and any(line.amounts[c] > 0 for line in labels)
    ]
    if not more:
        return ""
    name = reference.nutrients.name(keys[column], locale)
    return " " + reference.text(
        "notice_intake_none_label_more",
        locale,
        nutrients=reference.listed(more, locale),
        nutrient=name,
    )


def warning_beside_instead(
    ev: Evaluation,
    notice: dict[str, str],
    replaced: tuple[int, ...],
    named: tuple[int, ...],
    locale: str,
) -> dict[str, str]:
    """`notice` (an `intake_warning:<nutrient>` that names the products `replaced`) as it reads
    right before the `instead:<SKU>` notice naming `named` in its place: when one of those gives
    the nutrient, not "we suggest no more <nutrient>" before it (s27 left open: "no more vitamin
    D" before a 20 µg D3 named for a 50 µg one in pregnancy), but a lower dose named below in
    place of the product, and nothing more beside it. A lower dose it is: the product named is
    within the maximum crossed on the day without the product replaced, all else counted."""
    reference, catalog = ev.snapshot.reference, ev.snapshot.catalog
    column = reference.nutrients.keys.index(notice["code"].removeprefix("intake_warning:"))
    found = ev.offer.failing.get(column)
    if found is None or not (catalog.nutrients_per_day[list(named), column] > 0).any():
        return notice  # none named gives it: "no more <nutrient>" is true as it stands
    if _warning_key(reference, found, ev.profile.country) + "_instead" not in reference.texts:
        return notice
    name = reference.listed([catalog.products[i].name[locale] for i in replaced], locale)
    return _warning_notice(ev, column, found, locale, "_instead", name=name)


def _warning_key(reference: Any, found: Any, country: str) -> str:
    """The text of a failing kind; for an interaction its own text for the market, else its
    own, else the common one (review s6 T8: whom to ask follows the interaction: the
    anticoagulation clinic only for vitamin K with a vitamin K antagonist in NL)."""
    key = f"notice_intake_{found.kind}"
    if found.kind == "life_stage_maximum" and found.maximum == 0:
        return f"{key}_none"  # no amount suits (retinol in pregnancy; review 11 R11-1)
    if found.kind != "interaction" or found.interaction is None:
        return key
    for variant in (f"{key}.{found.interaction}.{country}", f"{key}.{found.interaction}"):
        if variant in reference.texts:
            return variant
    return key
