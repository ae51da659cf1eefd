"""The strategy registry: the names placements.yaml may put in a placement's chain.

A strategy is a function `(context, limit) -> list[Pick]`: at most `limit` items, best first,
each a catalog index chosen among `context.base(ev)` (the plain list's safety, rule and request
masks) and judged in the evaluation `ev` it names. The chain (serve.py) takes the picks in
order, drops repeats and applies the placement's diversity caps and length.

To add a strategy: write the function (in its own module), add it to STRATEGIES below under
the name placements.yaml will use, and add that name to the `strategies` enum of
rules/schema/placements.schema.json (tests/test_placements.py checks the two agree). The
loader refuses a placements file naming a strategy that is not here.

`buy_again` and `refills` (purchased.py) work from a stored customer's purchases; a request
without them (no stored customer) gets nothing from those two and the chain goes on.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..advice_config import advice_config
from ..advice_extras import extra_concern
from ..amounts import above
from ..children import second_sources, sourced_columns
from ..day_totals import advice_within_warning, crossed_warnings
from ..instead import beside_mask
from ..ranking import Evaluation, _rank
from ..refills.why import not_indicated, not_indicated_columns
from ..vocabulary import LOCALES
from .alternatives import alternative_mask, alternative_reasons, dose_distance
from .complements import complements
from .context import Pick, PlacementContext
from .purchased import buy_again, refills
from .replacing import names_instead

Strategy = Callable[[PlacementContext, int], list[Pick]]


def profile(ctx: PlacementContext, limit: int) -> list[Pick]:
    """The plain list: what `POST /v1/recommendations` answers for the same request; on a
    product page nothing on top of the page product that gives what it gives (page_overlap)."""
    ev = ctx.ev
    candidates = ctx.base(ev) & ev.offer.allowed & ~ctx.page_overlap
    if names_instead(ctx):
        instead = ctx.instead  # they name `instead:` as the list does
        if instead:  # ... and leave out before ranking what gives its nutrients (s35d F1)
            candidates &= beside_mask(ev, instead)
    ranked, raws = _rank(ev, candidates, limit, ctx.request.category is None)
    return [Pick(i, r, ev, "profile") for i, r in zip(ranked, raws, strict=True)]


def _not_indicated(ctx: PlacementContext, index: int) -> np.ndarray:
    """Products with a nutrient the list never offers the profile without a measured need
    (scoring.yaml `lists.goal_indication`: iron for a woman of 62) where the profile has no
    advice for it: no alternative on such a page; the page product giving one says so in
    `page_product_not_indicated` (session 18 pharmacist review F4)."""
    catalog, reference = ctx.snapshot.catalog, ctx.snapshot.reference
    columns = not_indicated_columns(ctx.ev)
    if not columns:
        return np.zeros(len(catalog), dtype=bool)
    gives = catalog.nutrients_per_day[:, columns] > 0
    names = not_indicated(ctx.ev, catalog.nutrients_per_day[index])
    if names:
        for locale in LOCALES:
            listed = reference.listed((reference.nutrients.name(n, locale) for n in names), locale)
            text = ctx.page_text("notice_page_product_not_indicated", locale, nutrients=listed)
            ctx.add_notice(locale, {"code": "page_product_not_indicated", "text": text})
    return np.asarray(gives.any(axis=1))


def _second_source_notice(ctx: PlacementContext, index: int) -> None:
    """`page_product_second_source`: the page product would be a child's second product of a
    nutrient it takes (children.py; re-review 19c F8: the gummy's page beside the drops taken
    said only "beside the product on this page we have nothing else to suggest")."""
    if not second_sources(ctx.ev)[index]:
        return
    reference, keys = ctx.snapshot.reference, ctx.snapshot.reference.nutrients.keys
    row = ctx.snapshot.catalog.nutrients_per_day[index]
    columns = [c for c in sorted(sourced_columns(ctx.ev)) if row[c] > 0]
    for locale in LOCALES:
        names = reference.listed(
            (reference.nutrients.name(keys[c], locale) for c in columns), locale
        )
        text = ctx.page_text("notice_page_product_second_source", locale, nutrients=names)
        ctx.add_notice(locale, {"code": "page_product_second_source", "text": text})


def _page_warning_notice(ctx: PlacementContext, index: int) -> None:
    """`interaction:<id>`: the page product takes the day past a warning threshold of the
    person's medicines or conditions (interactions.yaml `warn`, not a timing one), said on its
    own page as the list says it (re-review 20d F6: cod-liver oil's page for a liver patient
    said nothing of the liver)."""
    page_row = ctx.snapshot.catalog.nutrients_per_day[index : index + 1]
    for interaction in crossed_warnings(ctx.ev, page_row):
        for locale in LOCALES:
            code = f"interaction:{interaction.id}"
            ctx.add_notice(locale, {"code": code, "text": interaction.text[locale]})


def page_covers_notice(
    ctx: PlacementContext, picks: list[Pick], limit: int, locale: str
) -> list[dict[str, str]]:
    """`page_product_covers` where the answer is shorter than asked and the profile list left
    out products because the product on the page gives what they give (page_overlap): says
    which nutrients; with no item at all it is the answer's `no_items`, instead of "nothing
    safely fits your profile" next to a page product that does (review 10 U1)."""
    ev = ctx.ev
    if len(picks) >= limit or "profile" not in ctx.placement.strategies:
        return []
    dropped = ctx.page_overlap & ctx.base(ev) & ev.offer.allowed
    if not dropped.any():
        return []
    snapshot = ctx.snapshot
    reference = snapshot.reference
    keys = reference.nutrients.keys
    row = snapshot.catalog.nutrients_per_day
    dropped_give = advice_config(reference).grouped(keys, (row[dropped] > 0).any(axis=0))
    shared = np.flatnonzero((row[ctx.product_index] > 0) & dropped_give)
    names = reference.listed((reference.nutrients.name(keys[c], locale) for c in shared), locale)
    if picks:
        text = ctx.page_text("notice_page_product_covers", locale, nutrients=names)
        return [{"code": "page_product_covers", "text": text}]
    text = ctx.page_text("notice_no_items_page_covers", locale, nutrients=names)
    return [{"code": "no_items", "text": text}]


def _further_past_a_warning(ev: Evaluation, index: int) -> np.ndarray:
    """Products that, as the day's total with what is taken, cross a threshold of a medication
    warning the person triggers (interactions.yaml `warn`) with more of that nutrient than the
    page product gives (review s9 A4: 134 mg vitamin E offered on the 67 mg page to a man on a
    vitamin K antagonist, whose bleeding-risk threshold is 60 mg): an alternative never goes
    further past a warning than the product the person is looking at."""
    keys = ev.snapshot.reference.nutrients.keys
    amounts = ev.snapshot.catalog.nutrients_per_day
    totals = ev.safety.totals_with_item
    out = np.zeros(len(amounts), dtype=bool)
    for interaction in ev.safety.triggered:
        for key, threshold in interaction.warn.items():
            column = keys.index(key)
            crossed = totals[:, column] > float(threshold) * (1 + 1e-9)
            out |= crossed & (amounts[:, column] > amounts[index, column] * (1 + 1e-9))
    return out


def _past_a_warning_within_advice(ev: Evaluation) -> list[bool]:
    """Per product: it takes the day's total of a nutrient past a medicine's warning threshold
    that the advice stays within (day_totals.advice_within_warning, scoring.yaml
    `dose_fit.past_warning`); all False where there is none or the weight is 0."""
    amounts = ev.snapshot.catalog.nutrients_per_day
    out = np.zeros(len(amounts), dtype=bool)
    if advice_config(ev.snapshot.reference).fit_past_warning:
        totals = ev.safety.totals_with_item
        for column, threshold in advice_within_warning(ev).items():
            out |= (amounts[:, column] > 0) & above(totals[:, column], threshold)
    return out.tolist()


def alternatives(ctx: PlacementContext, limit: int) -> list[Pick]:
    """Other products for the same need as the product on the page (alternatives.py), safe
    for the profile, within its dose band and adding nothing it already takes enough of; the
    closest dose first."""
    index = ctx.product_index
    if index is None:
        return []
    ev = ctx.ev
    snapshot = ctx.snapshot
    catalog, reference, config = snapshot.catalog, snapshot.reference, snapshot.placements
    # the page product unsuited (its dose, its K2): the same need within the profile's band,
    # best for the profile first, not a dose window around it (review s5 S3)
    unsuited = ctx.page_product_unsuited
    roles = ev.offer.role_table.category_role if unsuited else None
    # age and life stage: the person's (ctx.base), not the page product's (review s6)
    mask = alternative_mask(catalog, index, config, roles=roles, for_profile=True)
    suiting = ctx.base(ev) & ev.offer.within_band & mask
    # nothing the notices say "no more" of (F12); a child's one product may be replaced by an
    # alternative to it on its own page (session 19: not "a second product" of it)
    page_sku = catalog.products[index].sku
    duplicate = ev.offer.covered_duplicate | second_sources(ev, besides=page_sku)
    candidates = suiting & ~duplicate
    # left out only for what the basket or what is taken gives (review 16 F11), not for a
    # medicine's warning with nothing taken (review 17 A1: a digoxin user, no basket)
    ctx.alternatives_beside_intake = bool(suiting.any()) and not candidates.any()
    candidates &= ~_further_past_a_warning(ev, index)
    candidates &= ~_not_indicated(ctx, index)
    _second_source_notice(ctx, index)
    _page_warning_notice(ctx, index)
    if unsuited and catalog.not_sellable[index]:
        # a page product that is no food supplement at all (an unauthorised form, a medicine
        # dose: 45 mg MK-4): only what the GET calls comparable, every nutrient within the
        # dose window both ways, never 50 µg MK-7 drops "EUR 15.53 a month cheaper" (review 16
        # F5). A supplement that does not suit keeps the profile's band (review s11 F6)
        candidates &= alternative_mask(catalog, index, config, for_profile=True)
    if unsuited:
        # for a need of the profile, as its plain list; where the profile has none of this
        # need, what would be an alternative on the page of a product that suits (review s11
        # F6: plain D3 for a man of 45 on a vitamin K antagonist on the D3 + K2 page)
        needed = candidates & ev.offer.allowed
        candidates = needed if needed.any() else candidates & unasked_alternatives(ctx, index)
    chosen = []
    past = _past_a_warning_within_advice(ev)
    for other in sorted(
        candidates.nonzero()[0].tolist(),
        key=lambda o: (
            # one that stays below a medicine's warning the advice stays within first, as the
            # list orders it (review 21 F4: a thiazide user taking 5 µg on a 20 µg page)
            past[o],
            0.0 if unsuited else round(dose_distance(catalog, index, o), 3),
            -float(ev.raw[o]),
            catalog.products[o].sku,
        ),
    ):
        reasons = {
            locale: alternative_reasons(catalog, reference, config, index, other, locale)
            for locale in ("nl", "de", "en")
        }
        if not reasons["en"]:
            continue  # nothing to choose it for: not an alternative
        chosen.append(Pick(other, float(ev.raw[other]), ev, "alternatives", reasons))
        if len(chosen) >= limit:
            break
    return chosen


def unasked_alternatives(ctx: PlacementContext, index: int) -> np.ndarray:
    """Products of the page product's need that may stand in for it where the profile has no
    need of its own for it (no advice, goal or rule: a man of 45 on the 75 µg D3 + K2 page),
    as an alternative on the page of a product that suits would: no more of any nutrient the
    page product gives than `alternatives` allows around its dose (and the profile's dose band
    decides below that), no nutrient a goal may not bring to the profile (scoring.yaml
    `lists.goal_indication`: calcium to a child, EFSA sets no upper limit below 18 to check its
    dose; iron to a man), and no extra nutrient that is itself a concern for the person
    (advice_extras.extra_concern: fish oil with a vitamin K antagonist)."""
    ev = ctx.ev
    catalog, config = ctx.snapshot.catalog, ctx.snapshot.placements
    keys = catalog.nutrient_keys
    row = catalog.nutrients_per_day[index]
    mask = ~ev.offer.goal_not_indicated & ~extra_concern(ev.offer)
    for column in np.flatnonzero(row > 0).tolist():
        most = row[column] * config.dose_ratio(keys[column]) * (1 + 1e-9)
        mask &= catalog.nutrients_per_day[:, column] <= most
    return np.asarray(mask)


STRATEGIES: dict[str, Strategy] = {
    "profile": profile,
    "alternatives": alternatives,
    "complements": complements,
    "buy_again": buy_again,
    "refills": refills,
}
