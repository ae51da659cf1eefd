"""Complete my routine: what the basket leaves open (issue 11 point 3).

Candidates are the plain list's (safe, within the dose band, not covered, for a need of the
profile), judged with the basket (and the product on the page) counted in the intake, minus
every product that gives a nutrient the basket already gives: vitamin D3 in the basket brings
K2, magnesium or calcium as the profile needs them, never a second vitamin D or a D3 + K2.

Co-purchase (how often shoppers bought a product together with what is in the basket, a table
the `workers.copurchase` job keeps in Redis) is one ranking signal added to the score of those
candidates only (`complements.copurchase_weight`): it orders what safety and need allow and
never adds a product.

One source per nutrient in the whole answer (review s9 A2): the cart and checkout (placements
with `basket_overlap: exclude`) offer their items as additions to one routine, so an item that
gives a nutrient a higher-ranked item of the same answer already gives is not offered either,
whichever strategy of the chain chose it (`OneSource`, serve._chain). "Gives" reads as the
basket overlap does: any nutrient with an amount above 0 (every nutrient of nutrients.yaml has
an advice or an upper limit, or is grouped with one), vitamin K1 and K2 as one (scoring.yaml
lists.groups). Each item is within the room that what is taken + basket + food leaves, and no
other item and no basket line gives its nutrients: the answer taken together stays within every
limit (tests/test_review_s9_cart.py).
"""

from __future__ import annotations

import copy

import numpy as np

from ..advice_config import advice_config
from ..advice_extras import served_targets
from ..advice_open import served_by_what_is_taken
from ..advice_texts import no_items_notice, plain_no_items_notice, takes_something
from ..amounts import rounded
from ..children import sourced_columns
from ..day_totals import over_room
from ..line_notices import interaction_taken, uncredited_columns, unsuited_taken, warned_lines
from ..numbers import format_number
from ..ranking import Evaluation, _rank, list_candidates
from ..target_priority import priorities
from .context import Copurchase, Pick, PlacementContext


class OneSource:
    """The nutrients the items taken so far give, for a placement that completes a routine
    (`basket_overlap: exclude`), and on a product page for what goes with it: every item but
    an alternative, which is instead of the page product, gives no nutrient that an item before
    it gives, an alternative's included (review 10: a vitamin D complement and a D3 of the
    profile list side by side under a calcium; under the alternatives of a women's multivitamin
    that does not suit a pregnant woman, a folic acid + D3 of her plain list, 35 µg vitamin D
    with the vegan multivitamin offered instead); for any other placement nothing is ever a
    second source."""

    def __init__(self, ctx: PlacementContext) -> None:
        self.ctx = ctx
        self.given = np.zeros(len(ctx.snapshot.reference.nutrients.keys), dtype=bool)
        self.routine = ctx.placement.basket_overlap == "exclude"
        self.page = ctx.product_index is not None

    def applies(self, pick: Pick) -> bool:
        return self.routine or (self.page and pick.strategy != "alternatives")

    def gives(self, index: int) -> np.ndarray:
        reference = self.ctx.snapshot.reference
        row = self.ctx.snapshot.catalog.nutrients_per_day[index] > 0
        return np.asarray(advice_config(reference).grouped(reference.nutrients.keys, row))

    def second(self, pick: Pick) -> bool:
        """The product gives a nutrient an item taken before it already gives."""
        return self.applies(pick) and bool((self.gives(pick.index) & self.given).any())

    def add(self, pick: Pick) -> None:
        if self.routine or self.page:
            self.given |= self.gives(pick.index)


def covering_nutrients(ctx: PlacementContext) -> np.ndarray:
    """The nutrient columns `basket_covered` may name: those the basket and what is taken give
    through lines the answer does not warn about (line_notices.warned_lines), and the product
    on the page where it suits. A line we advise against or warn about covers nothing (review
    s11 F4: "your basket gives vitamin D and vitamin K2" of the D3 + K2 drops of a woman on a
    vitamin K antagonist; review 11 R11-3: the same drops as a label; R11-9: a calcium above
    the upper limit with food, a thiazide user's calcium + D3), nor is a nutrient whose total a
    notice warns about (`uncredited_columns`). The basket overlap still counts
    every line: nothing more of what such a line gives is offered while it is in the basket or
    taken, as its notice says."""
    ev = ctx.ev
    warned = warned_lines(ev)
    given = np.zeros(len(ctx.snapshot.reference.nutrients.keys), dtype=bool)
    for i, line in enumerate(ev.resolved):
        if i not in warned:
            given |= line.amounts > 0
    if ctx.product_index is not None and not ctx.page_product_unsuited:
        given |= ctx.snapshot.catalog.nutrients_per_day[ctx.product_index] > 0
    given[sorted(uncredited_columns(ev))] = False  # "nothing that adds calcium" is said
    return given


def basket_covered_notices(ctx: PlacementContext, locale: str) -> list[dict[str, str]]:
    """`basket_covered` for a placement that completes a routine (`basket_overlap: exclude`):
    the nutrients of `covering_nutrients`; none where no line we do not warn about gives one.
    A nutrient with an advised amount for the profile that the day does not make enough (the
    list's `already_covered` measure, scoring.yaml `lists.covered`) is not named there but in
    its own `basket_short:<nutrient>`: how much, the advice, and that the cart adds no second
    product with it (review 16 F4: "your basket gives vitamin D ... we suggest nothing more of
    it" of 5 µg from an A-Z multivitamin, at 75, with 20 µg advised)."""
    if ctx.placement.basket_overlap != "exclude":
        return []
    given = covering_nutrients(ctx)
    if not given.any():
        return []
    ev = ctx.ev
    reference = ctx.snapshot.reference
    page = _page(ctx)
    # short of a target we serve (not a reference intake: no "advised 15 µg" to a man of 40
    # without an advice, review 17 P2), the product asked about counted where it is (review
    # 17 P1: "this product ... give 0 µg" of a 20 µg tablet), within lists.covered's share
    targets, ids = served_targets(ev)
    amounts = ev.intake
    if page:
        amounts = amounts + ctx.snapshot.catalog.nutrients_per_day[ctx.product_index]
    within = 1.0 - ev.offer.enough_share
    short = [
        c
        for c in np.flatnonzero(given).tolist()
        if targets[c] > 0 and amounts[c] < targets[c] * within[c] * (1 - 1e-9)
    ]
    given[short] = False
    # a child's one product of it: the list's one_source notice speaks for it, never "ask
    # whether to add one" (re-review 19c F3)
    short = [c for c in short if c not in sourced_columns(ev)]
    keys = reference.nutrients.keys
    config = ctx.snapshot.placements
    ours = priorities(reference).is_ours
    authority = ev.advice.authority if ev.advice else {}
    notices = []
    if given.any():
        names = reference.listed(
            (reference.nutrients.name(keys[c], locale) for c in np.flatnonzero(given).tolist()),
            locale,
        )
        text = config.text("notice_basket_covered" + page, locale, nutrients=names)
        notices.append({"code": "basket_covered", "text": text})
    for c in short:
        values = reference.nutrients.text_values(
            keys[c], locale, amount=amounts[c], advised=targets[c]
        )
        aim = "_ours" if ours(ids.get(keys[c])) else ""  # calcium for vegans: our suggestion
        if not aim and config.has_text(f"notice_basket_short_{authority.get(c)}"):
            aim = f"_{authority.get(c)}"  # words of its own (s33c 3: the DGE's total with food)
        text = config.text("notice_basket_short" + aim + page, locale, **values)
        notices.append({"code": f"basket_short:{keys[c]}", "text": text})
    return notices


def beside_basket_notice(ctx: PlacementContext, locale: str) -> dict[str, str] | None:
    """`no_items` of a cart or checkout whose plain list would offer something, all of it giving
    what the basket gives (`basket_covered` says which): not the plain list's "nothing safely
    fits your profile and your basket" (review 12 F20); the same where what the basket and what
    is taken give covers every advice, so the plain list is empty too (review s28 F5: a
    toddler's 10 µg drops in the cart); None otherwise, and beside a limit that what is taken
    and the basket cross (review s28c F2: "beside what your basket gives, nothing else" beside
    109 µg vitamin D against a limit of 100: "nothing safely fits" is the truth there)."""
    if ctx.ev.over_limit_now or over_room(ctx.ev).size:
        return None
    candidates = list_candidates(ctx.ev)
    if not basket_covered_notices(ctx, locale):
        # a basket line we warn about covers nothing, but nothing more of what it gives is
        # offered beside it (its notice says why): where that is all the plain list would offer,
        # "beside your basket", not "nothing safely fits" (review s39a F4: a thiazide user's
        # calcium + D3 in the cart, and the plain list's 10 µg D3 within the thiazide's 20 µg)
        if not candidates.any() or (candidates & ~ctx.basket_overlap).any():
            return None
        if advised_against(ctx.ev):  # review s39c F2: not beside what we advise against
            return None
    if not candidates.any() and not served_by_what_is_taken(ctx.ev):
        return None
    only = "" if takes_something(ctx.ev) else "_only"  # not "what you already take" (s29)
    return {
        "code": "no_items",
        "text": ctx.snapshot.placements.text("notice_no_items_basket" + _page(ctx) + only, locale),
    }


def advised_against(ev: Evaluation) -> bool:
    """A line of the basket or of what is taken does not suit the person as a product (an
    allergy, the diet, the age, the life stage, a shop's exclusion with `taken`) or has what
    a medicine or condition excludes: its notice says to stop it, so the cart's "beside what
    your basket gives" would read as approval (a woman of 85 with hypercalcaemia and calcium
    in her cart)."""
    return bool(unsuited_taken(ev) or interaction_taken(ev) or ev.offer.unsuitable_lines)


def _page(ctx: PlacementContext) -> str:
    """The texts' `_page` variant where a product_sku is counted beside the basket (a cart,
    checkout or e-mail asked with one): "your basket, this product or ..." (review 16 F3: an
    empty basket read "your basket ... gives vitamin D" of the product asked about)."""
    return "_page" if ctx.product_index is not None and not ctx.page_product_unsuited else ""


def empty_notice(ctx: PlacementContext, locale: str) -> dict[str, str]:
    """`no_items` of a cart, checkout or e-mail with no item: beside what the basket gives
    (`beside_basket_notice`); where the plain list itself has nothing for the profile, the plain
    list's own reason (advice_texts.no_items_notice: no need, "tell us more"; a warning; a
    condition; a doctor's dose), not "nothing safely fits" to a healthy man of 40 whom nothing
    is unsafe for (review 16 F2, as the plain list and the account page say); else the plain
    list's "nothing safely fits"."""
    beside = beside_basket_notice(ctx, locale)
    if beside is not None:
        return beside
    if not list_candidates(ctx.ev).any():
        return no_items_notice(ctx.ev, locale)
    if not ctx.has_basket and set(ctx.placement.strategies) == {"complements"}:
        # a checkout only completes a basket: an empty one has nothing to complete, which is
        # no safety matter (session 14: "no product safely fits" to a woman of 75 whose plain
        # list offers vitamin D)
        text = ctx.snapshot.placements.text("notice_no_items_empty_basket", locale)
        return {"code": "no_items", "text": text}
    return plain_no_items_notice(ctx.ev, locale)


def complement_evaluation(ctx: PlacementContext) -> Evaluation:
    """The request's one evaluation (the product page's too: no second one with the product
    on the page counted). That is exact for every check of a complement: a complement gives no
    nutrient the basket or the page product gives (`basket_overlap`), and only a page product
    that fits is complemented (`page_product_unsuited`), so its limits, dose band, need and
    duplicates are per nutrient the same with or without the product counted. Only the
    ranking differs slightly (features over all nutrients, rules on the intake), not safety
    (tests/test_placements.py checks the complements against an evaluation with it counted)."""
    return ctx.ev


def copurchase_signal(
    ctx: PlacementContext, table: Copurchase | None, candidates: np.ndarray
) -> np.ndarray:
    """Per product 0..1: the strongest co-occurrence with a basket item, candidates only."""
    catalog = ctx.snapshot.catalog
    signal = np.zeros(len(catalog))
    if not table:
        return signal
    skus = [line.sku for line in ctx.request.basket if line.sku]
    if ctx.product_index is not None:
        skus.append(catalog.products[ctx.product_index].sku)
    for sku in skus:
        for other, score in (table.get(sku) or {}).items():
            i = catalog.index.get(other)
            if i is not None and candidates[i]:
                signal[i] = max(signal[i], min(max(float(score), 0.0), 1.0))
    return signal


def complements(ctx: PlacementContext, limit: int) -> list[Pick]:
    if not ctx.has_basket or ctx.page_product_unsuited:
        return []
    ev = complement_evaluation(ctx)
    base = ctx.base(ev)
    candidates = base & ev.offer.allowed & ~ctx.basket_overlap
    if not candidates.any():
        return []
    signal = copurchase_signal(ctx, ctx.copurchase, candidates)
    ranked_ev = ev
    if signal.any():
        ranked_ev = copy.copy(ev)  # the same evaluation, ranked with the signal added
        ranked_ev.raw = ev.raw + ctx.snapshot.placements.copurchase_weight * signal
    ranked, raws = _rank(ranked_ev, candidates, limit, ctx.request.category is None)
    reference, catalog = ctx.snapshot.reference, ctx.snapshot.catalog
    keys = reference.nutrients.keys
    picks = []
    for index, raw in zip(ranked, raws, strict=True):
        row = catalog.nutrients_per_day[index]
        adds = [c for c in np.flatnonzero(row > 0).tolist() if not ctx.basket_nutrients[c]]
        reasons = {}
        for locale in ("nl", "de", "en"):
            listed = reference.listed(
                (
                    f"{reference.nutrients.name(keys[c], locale)} "
                    f"{format_number(rounded(row[c]), locale)} {reference.nutrients.units[keys[c]]}"
                    for c in adds
                ),
                locale,
            )
            if ctx.product_index is None:
                text = ctx.snapshot.placements.text("adds_to_basket", locale, nutrients=listed)
            else:  # what the product asked about does not give either (session 18)
                key = "adds_beside_product" + ("_and_basket" if ctx.request.basket else "")
                text = ctx.page_text(key, locale, nutrients=listed)
            reasons[locale] = [{"code": "adds_to_basket", "text": text}]
        extra = {
            "adds_to_basket": {keys[c]: rounded(row[c]) for c in adds},
            "copurchase": round(float(signal[index]), 4),
        }
        picks.append(Pick(index, raw, ev, "complements", reasons, extra))
    return picks
