"""What the day's total says (review s5 S1 and S4): medication warnings whose threshold is a
daily amount, and limits that what is taken already crosses, food counted where the limit is
for total intake. Lists, placements, stored customers and regimens share these."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

import numpy as np

from .amounts import above
from .fastnp import flatnonzero
from .intake import shown_name

if TYPE_CHECKING:
    from .ranking import Evaluation
    from .reference import Interaction


def over_room(ev: Evaluation) -> np.ndarray:
    """Columns where what is taken + basket is above the limit, or above the room a high usual
    intake from food leaves where the limit is for total intake (guarantee 9, as the intake
    check since R13). No limit (NaN room) is never crossed."""
    known = ev.memo.get("over_room")
    if known is None:  # once per evaluation (lists, notices and texts ask); read-only
        known = ev.memo["over_room"] = flatnonzero(above(ev.intake, ev.safety.room_or_inf))
        known.flags.writeable = False
    return known


def over_threshold(
    interaction: Interaction, keys: tuple[str, ...], totals: np.ndarray
) -> dict[int, float]:
    """{column: threshold} of an interaction's `warn` whose day's total is above the threshold
    (a threshold of 0: any amount)."""
    columns = {keys.index(n): float(t) for n, t in interaction.warn.items()}
    return {c: t for c, t in columns.items() if above(totals[c], t)}


def crossed_warnings(ev: Evaluation, amounts: np.ndarray) -> list[Interaction]:
    """The interactions the person triggers (in their order; not a `timing` one) whose warning
    one of these products crosses (rows of daily amounts): it gives the nutrient and the day's
    total with what is taken is above the threshold."""
    keys = ev.snapshot.reference.nutrients.keys
    out = []
    for interaction in ev.safety.triggered:
        if interaction.timing:
            continue
        for nutrient, threshold in interaction.warn.items():
            given = amounts[:, keys.index(nutrient)]
            total = ev.intake[keys.index(nutrient)] + given
            if ((given > 0) & above(total, float(threshold))).any():
                out.append(interaction)
                break
    return out


def interaction_key(
    ev: Evaluation, key: str, columns: list[int] | None = None, texts: Any = None
) -> str:
    """`key.<id>` where the interactions triggered for the person that exclude one of these
    nutrient columns (any, without `columns`) are all the one `id` with such a text, else
    `key` (re-review 21 #6: a high measured vitamin D level is no "medicine or condition";
    the intake warning's own variants, advice_texts._warning_key, likewise). `texts`: the
    texts to look in (regimen_texts.yaml's), else texts.yaml's."""
    keys = ev.snapshot.reference.nutrients.keys
    names = None if columns is None else {keys[c] for c in columns}
    ids = {
        i.id for i in ev.safety.triggered if i.exclude and (names is None or names & set(i.exclude))
    }
    if len(ids) == 1:
        variant = f"{key}.{ids.pop()}"
        if variant in (ev.snapshot.reference.texts if texts is None else texts):
            return variant
    return key


def lowest_warning_thresholds(ev: Evaluation) -> dict[int, float]:
    """{column: threshold}: the lowest daily warning threshold of the profile's medicines and
    conditions for each nutrient (interactions.yaml `warn`, not a `timing` one; a thiazide and
    digoxin: digoxin's 0, review 23 F1). Once per evaluation."""
    known = ev.memo.get("lowest_warning_thresholds")
    if known is None:
        keys = ev.snapshot.reference.nutrients.keys
        known = {}
        for interaction in ev.safety.triggered:
            if interaction.timing:
                continue
            for nutrient, threshold in interaction.warn.items():
                column, limit = keys.index(nutrient), float(threshold)
                known[column] = min(limit, known.get(column, limit))
        ev.memo["lowest_warning_thresholds"] = known
    return known


def advice_within_warning(ev: Evaluation) -> dict[int, float]:
    """{column: threshold}: the lowest warning thresholds (`lowest_warning_thresholds`) that the
    advice for that nutrient stays within, so that it can be followed without passing them (a
    woman of 75 on a thiazide: 20 µg advised, a warning above 20 µg). A dose past such a
    threshold counts against a product (scoring.yaml `dose_fit.past_warning`): in the list's
    dose-fit order and the intake check's suggestion. Where the advice itself is above the
    threshold (a doctor's 50 µg, a serum level's 30 µg, or a threshold of 0: any amount) it
    stays, with the warning (review 16 F7, review 21 F1 and F2); so it does where another
    medicine's threshold for the nutrient is below the advice (a thiazide and digoxin: digoxin
    warns on any vitamin D, review 23 F1); see `advice_past_warning`. Once per evaluation."""
    known = ev.memo.get("advice_within_warning")
    if known is None:
        targets = ev.targets_or_zero
        known = ev.memo["advice_within_warning"] = {
            column: limit
            for column, limit in lowest_warning_thresholds(ev).items()
            if targets[column] > 0 and not above(targets[column], limit)
        }
    return known


def advice_past_warning(ev: Evaluation) -> dict[int, float]:
    """{column: threshold}: the lowest warning thresholds the advice itself is above (a serum
    level's 30 µg vitamin D with a thiazide's 20 µg): the advice stays, and a regimen goes no
    further past it than the dose closest to it (regimen_warnings.closest_past_warnings)."""
    targets = ev.targets_or_zero
    return {
        column: limit
        for column, limit in lowest_warning_thresholds(ev).items()
        if targets[column] > 0 and above(targets[column], limit)
    }


def item_interaction_warnings(
    ev: Evaluation, index: int, locale: str, amounts: np.ndarray | None = None
) -> list[dict[str, Any]]:
    """A list item's medication warnings: the item gives the nutrient and what is taken +
    basket + the item is above the rule's daily threshold. Where the threshold is above 0 the
    warning names (`skus`, added) every line that gives it, the item last. `amounts`: what the
    item gives a day at other servings than the label's (the intake check's suggestion)."""
    keys = ev.snapshot.reference.nutrients.keys
    catalog = ev.snapshot.catalog
    row = catalog.nutrients_per_day[index]
    totals = ev.safety.totals_with_item[index]
    if amounts is not None:
        row, totals = amounts, ev.intake + amounts
    warnings: list[dict[str, Any]] = []
    for interaction in ev.safety.triggered:
        over = {c: t for c, t in over_threshold(interaction, keys, totals).items() if row[c] > 0}
        if not over:
            continue
        warning: dict[str, Any] = {
            "code": f"interaction:{interaction.id}",
            "text": interaction.text[locale],
        }
        daily = [c for c, t in over.items() if t > 0]
        if daily:
            given = [r.name for r in ev.resolved if (r.amounts[daily] > 0).any()]
            warning["skus"] = [*dict.fromkeys(given), catalog.products[index].sku]
        warnings.append(warning)
    return warnings


def cautions_of(ev: Evaluation) -> list[tuple[Any, list[int]]]:
    """interactions.yaml `cautions` that hold for the profile (no medicine of its
    `unless_medications` named), each with its nutrient columns; once per evaluation (every
    item of a list asks)."""
    known = ev.memo.get("cautions")
    if known is None:
        reference = ev.snapshot.reference
        keys, medications = reference.nutrients.keys, set(ev.profile.medications)
        known = ev.memo["cautions"] = [
            (c, [keys.index(n) for n in c.nutrients])
            for c in reference.cautions
            if not medications & c.unless_medications
        ]
    return known


def caution_warnings(ev: Evaluation, index: int, locale: str) -> list[dict[str, Any]]:
    """`caution:<id>` of interactions.yaml `cautions` for an item that gives one of its
    nutrients, unless the profile names a medicine whose interaction speaks for it (review
    s39a F3: a D3 + 50 µg K2 first for a German of 75, with no word of blood thinners)."""
    row = ev.snapshot.catalog.nutrients_per_day[index]
    return [
        {"code": f"caution:{c.id}", "text": c.words(ev.profile.country, locale)}
        for c, columns in cautions_of(ev)
        if (row[columns] > 0).any()
    ]


def caution_notices(
    ev: Evaluation, locale: str, pages: list[int] | tuple[int, ...] = (), basket: bool = True
) -> list[dict[str, str]]:
    """`caution:<id>` for what is being bought that is no list item: a basket line, and the
    product on the page (`pages`), each named before the caution's words (review s39c F4: the
    K2 on the page and in the cart said nothing of blood thinners, the items beside it did)."""
    cautions = cautions_of(ev)
    if not cautions:
        return []
    reference, catalog = ev.snapshot.reference, ev.snapshot.catalog
    bought = [
        (shown_name(r, ev.snapshot, locale), r.amounts)
        for r in ev.resolved
        if basket and r.path.startswith("basket.")
    ]
    bought += [(catalog.products[i].name[locale], catalog.nutrients_per_day[i]) for i in pages]
    out = []
    for c, columns in cautions:
        names = [name for name, row in bought if (row[columns] > 0).any()]
        if names:
            listed = reference.listed(list(dict.fromkeys(names)), locale)
            text = f"{listed}: {c.words(ev.profile.country, locale)}"
            out.append({"code": f"caution:{c.id}", "text": text})
    return out


def combination_warnings(ev: Evaluation, index: int, locale: str) -> list[dict[str, Any]]:
    """A list item's `together` interactions: the item gives a nutrient of one group and what
    is taken + basket one of the other (reference.combination_columns). What each product gives
    of each group is kept per catalog and reference, what is taken per evaluation."""
    reference, catalog = ev.snapshot.reference, ev.snapshot.catalog
    combinations = reference.combination_columns
    if not combinations:
        return []
    known = _GIVES.get(catalog)
    if known is None or known[0] is not reference:
        gives = [
            tuple(
                (any(values[c] > 0 for c in a), any(values[c] > 0 for c in b))
                for _, a, b in combinations
            )
            for values in catalog.nutrients_per_day.tolist()
        ]
        known = _GIVES[catalog] = (reference, gives)
    taken = ev.memo.get("combination_taken")
    if taken is None:
        present = ev.intake_present.tolist()
        taken = ev.memo["combination_taken"] = [
            (any(present[c] for c in a), any(present[c] for c in b)) for _, a, b in combinations
        ]
    return [
        {"code": f"interaction:{interaction.id}", "text": interaction.text[locale]}
        for (interaction, _, _), (item_a, item_b), (intake_a, intake_b) in zip(
            combinations, known[1][index], taken, strict=True
        )
        if (item_a and intake_b) or (item_b and intake_a)
    ]


# per catalog: (the reference, per product per `together` interaction: gives of group a, of b)
_GIVES: weakref.WeakKeyDictionary[Any, tuple[Any, list[tuple[tuple[bool, bool], ...]]]] = (
    weakref.WeakKeyDictionary()
)


def threshold_notices(ev: Evaluation, locale: str) -> list[dict[str, str]]:
    """`interaction:<id>` once for the profile when what is taken + basket is already above a
    rule's daily threshold, whatever the list adds: a thiazide user who takes 40 µg vitamin D
    hears it even from a list without vitamin D, and one with calcium in the basket (threshold
    0: any amount) as the intake check tells her (review s9); rules with `notice` say it anyway."""
    keys = ev.snapshot.reference.nutrients.keys
    return [
        {"code": f"interaction:{i.id}", "text": i.text[locale]}
        for i in ev.safety.triggered
        if not i.notice and over_threshold(i, keys, ev.intake)
    ]


def infant(ev: Evaluation, key: str) -> str:
    """`<key>.infant` for a baby (age 0) where the texts give it: the food allowance of age 0
    is infant formula's, and breast milk gives little (review s39a F1: a German baby's usual
    12.5 µg read as "above the safe upper limit ... until that is adjusted"); else `key`."""
    return ev.snapshot.reference.variant(key, "infant") if ev.profile.age == 0 else key


def upper_limit_notices(ev: Evaluation, locale: str) -> list[dict[str, str]]:
    """`above_upper_limit:<nutrient>` for every limit what is taken + basket already crosses.
    Where the limit is for total intake the text names the total the guarantee checks: what
    is taken + basket + the food allowance, and the excess over the limit (review s6: "35 mg
    of zinc, more than 25 mg" left out the 12.5 mg from food that made it 47.5 mg). Where the
    supplements alone cross it, nothing at all is suggested (`_food_nothing`); where only the
    food allowance makes them cross it, nothing that adds the nutrient (`_food`). A basket line
    that gives the nutrient makes it say "with your basket" (`_basket`), as `already_covered`."""
    reference = ev.snapshot.reference
    keys = reference.nutrients.keys
    notices = []
    for column in over_room(ev).tolist():
        key, amount, limit = keys[column], ev.intake[column], ev.limits[column]
        food = float(ev.safety.food[column])  # 0 where the limit is for supplements only
        values = limit_text_values(reference, key, locale, amount, limit, food)
        text_key = "notice_above_upper_limit"
        if food:
            text_key += "_food_nothing" if column in ev.over_limit_now else "_food"
        carted = [r for r in ev.resolved if r.path.startswith("basket.") and r.amounts[column] > 0]
        if carted:
            text_key += "_basket"  # not yet taken: "with your basket" (review s9 A6)
        text = reference.text(infant(ev, text_key), locale, **values)
        if text_key.startswith("notice_above_upper_limit_food") and "_nothing" not in text_key:
            text += _ask_declared(ev, key, locale)
        text += basket_out(ev, column, carted, locale, float(ev.safety.room_or_inf[column]))
        notices.append({"code": f"above_upper_limit:{key}", "text": text})
    return notices + food_alone_notices(ev, locale)


def _ask_declared(ev: Evaluation, key: str, locale: str) -> str:
    """Where only the food allowance takes what is taken above a limit, and a profile field
    the person has not given would replace that allowance (food_intake.yaml `declared`): ask
    for it (review s44b F2: an 82-year-old's prescribed 1,000 mg calcium was above the limit
    only with the 1,700 mg of a dairy-rich diet; with one dairy portion it was enough)."""
    reference = ev.snapshot.reference
    return "".join(
        " " + reference.text(f"notice_above_upper_limit_declared.{field}", locale)
        for field, rule in reference.food.declared.items()
        if rule.get("nutrient") == key
        and getattr(ev.profile, field, None) is None
        and f"notice_above_upper_limit_declared.{field}" in reference.texts
    )


def with_taken_band(
    ev: Evaluation, notices: list[dict[str, str]], locale: str
) -> list[dict[str, str]]:
    """`notices` with, after each `above_upper_limit:<nutrient>` that the basket alone makes
    (what is taken stays within the limit: "take it out of your basket"), the dose band's
    `intake_warning:<nutrient>` of what is taken without the basket, where that is above the
    band: taking the basket's product out, as the notice says, still leaves it (review s36c
    F3: a man of 40 on a 75 µg D3, 37.5 µg his band, with a 25 µg D3 in the basket was told
    of the limit only; the intake check said both since s36a F7)."""
    carted = [r for r in ev.resolved if r.path.startswith("basket.")]
    if not carted:
        return notices
    keys = ev.snapshot.reference.nutrients.keys
    columns = {
        f"above_upper_limit:{keys[c]}": c
        for c in over_room(ev).tolist()
        if _basket_alone(ev, c, [r for r in carted if r.amounts[c] > 0], _room(ev, c))
    }
    said = {n["code"] for n in notices}
    if not columns or not columns.keys() & said:
        return notices
    from .advice_texts import intake_warning_notices  # it renders with this module
    from .ranking import evaluate  # ranking renders with this module

    key = ("taken_without_basket",)
    taken = ev.memo.get(key)
    if taken is None:
        kept = [(r.path, r.line) for r in ev.resolved if not r.path.startswith("basket.")]
        taken = ev.memo[key] = evaluate(ev.snapshot, ev.profile, kept, ev.today, ev.jurisdiction)
    failing = taken.offer.failing
    band = {
        f"intake_warning:{keys[c]}"
        for c in columns.values()
        if c in failing and failing[c].kind == "dose_band"
    }
    warnings = {
        n["code"]: n
        for n in intake_warning_notices(taken, locale)
        if n["code"] in band and n["code"] not in said
    }
    out = []
    for notice in notices:
        out.append(notice)
        code = notice["code"].replace("above_upper_limit:", "intake_warning:", 1)
        if notice["code"] in columns and code in warnings:
            out.append(warnings[code])
    return out


def _room(ev: Evaluation, column: int) -> float:
    return float(ev.safety.room_or_inf[column])


def _taken_unsuited(ev: Evaluation, column: int) -> bool:
    """Something taken that gives the nutrient does not suit the person: the basket is not
    what to change (review s37c F9: a vegan of 72 on a 75 µg D3 that is not vegan was told to
    take the vegan 25 µg D3 out of his basket, the only vitamin D that suits him; the notice of
    the 75 µg says to talk to the pharmacist about it)."""
    from .refills.why import no_longer_fits  # it renders with this module

    return any(
        no_longer_fits(ev, r.sku)
        for r in ev.resolved
        if not r.path.startswith("basket.") and r.amounts[column] > 0
    )


def _basket_alone(ev: Evaluation, column: int, carted: list[Any], cap: float) -> bool:
    """Basket lines `carted` give the nutrient of `column` and what is taken stays within
    `cap` without them: the basket alone takes the day above it."""
    if not carted:
        return False
    kept = sum(float(r.amounts[column]) for r in ev.resolved if not r.path.startswith("basket."))
    return not above(kept, cap)


def basket_out(ev: Evaluation, column: int, carted: list[Any], locale: str, cap: float) -> str:
    """Review s31a F5: where only the basket lines that give it take the day above `cap` (the
    room an upper limit leaves with food; the life stage's maximum, review s34a F1) and what is
    taken alone stays within it, which to take out of the basket: not bought yet, it is no
    question for the doctor. "" otherwise."""
    if not _basket_alone(ev, column, carted, cap) or _taken_unsuited(ev, column):
        return ""
    # the names the warning gives them (a label line without a name: "unnamed product (line 3
    # of your basket)", not its path "basket.2")
    names = {shown_name(r, ev.snapshot, locale) for r in carted}
    return basket_out_sentence(ev.snapshot.reference, names, locale)


def basket_out_sentence(reference: Any, names: set[str], locale: str) -> str:
    """ " Without A from your basket you stay within it: take it out of your basket." """
    key = "notice_above_upper_limit_basket_out" + ("_many" if len(names) > 1 else "")
    return " " + reference.text(key, locale, products=reference.listed(sorted(names), locale))


def food_alone_notices(ev: Evaluation, locale: str) -> list[dict[str, str]]:
    """`above_upper_limit:<nutrient>` where the food allowance alone is above a limit for total
    intake and nothing taken gives the nutrient (session 11: 14 declared dairy portions give
    2,950 mg calcium, above 2,500 mg; the list offered no calcium and said nothing of why).
    The intake check's warnings are these too (intake_food.food_alone_warnings)."""
    alone = food_alone_columns(ev)
    if not alone.size:  # nearly every profile: only a declared intake gets here
        return []
    keys = ev.snapshot.reference.nutrients.keys
    return [
        {"code": f"above_upper_limit:{keys[column]}", "text": food_alone_text(ev, column, locale)}
        for column in np.setdiff1d(alone, over_room(ev)).tolist()
    ]


def food_alone_columns(ev: Evaluation) -> np.ndarray:
    """Columns where the food allowance alone is above a limit for total intake (the food
    allowance is 0 where the limit is for supplements only; no limit is never crossed). The
    lists and the intake check share it."""
    return flatnonzero(above(ev.safety.food, ev.limits_or_inf))


def food_alone_text(ev: Evaluation, column: int, locale: str) -> str:
    """`notice_above_upper_limit_food_alone` for one such column: the food, the excess over the
    limit, and that nothing giving the nutrient is suggested."""
    reference = ev.snapshot.reference
    food, limit = float(ev.safety.food[column]), float(ev.limits[column])
    values = reference.nutrients.text_values(
        reference.nutrients.keys[column], locale, food=food, upper_limit=limit, excess=food - limit
    )
    return str(reference.text("notice_above_upper_limit_food_alone", locale, **values))


def limit_text_values(
    reference: Any, key: str, locale: str, amount: float, limit: float, food: float
) -> dict[str, Any]:
    """The placeholders of an above-the-limit text: what supplements give, the food allowance
    (0 where the limit is for supplements only), the total the guarantee checks, the excess."""
    total = amount + food
    return reference.nutrients.text_values(
        key, locale, amount=amount, upper_limit=limit, food=food, total=total, excess=total - limit
    )


def near_upper_limit(
    ev: Evaluation, totals: np.ndarray, adds: np.ndarray, locale: str
) -> list[tuple[int, str]]:
    """(column, text) for every limit the day comes near (scoring.yaml
    `warn_at_upper_limit_fraction`) in a nutrient that `adds` (bool per column) gives: the
    supplements' `totals` plus the food allowance where the limit is for total intake
    (guarantee 9; review s5 S9: 800 mg calcium on top of 1,700 mg from food is the limit)."""
    reference = ev.snapshot.reference
    food = ev.safety.food_or_zero
    with_food = totals + food
    near = adds & ev.has_limit & (with_food >= reference.warn_at_upper_limit_fraction * ev.limits)
    out = []
    for column in flatnonzero(near).tolist():
        key = reference.nutrients.keys[column]
        values = reference.nutrients.text_values(
            key,
            locale,
            amount=totals[column],
            upper_limit=ev.limits[column],
            food=food[column],
            total=with_food[column],
        )
        text_key = "warning_near_upper_limit" + ("_food" if food[column] > 0 else "")
        out.append((column, reference.text(infant(ev, text_key), locale, **values)))
    return out
